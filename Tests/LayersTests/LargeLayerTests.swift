import Foundation
import OCI
import Streams
import Testing
@testable import Layers

/// A file larger than every buffer the writer and reader use goes through both intact.
/// (Their memory is measured per process, in CLITests' StreamingMemoryTests: this process
/// runs other tests in parallel, so its own peak RSS measures nothing reliably.)
@Suite struct LargeLayerTests {
    static let megabytes = 24

    @Test func largeFileStreamsThroughWriterAndReader() throws {
        let directory = try TemporaryDirectory()
        let input = directory.path + "/big.bin"
        // Incompressible input, so the blob is as large as the file too.
        try Tool.shell("head -c \(Self.megabytes)M /dev/urandom > \"$1\"", arguments: [input])
        let inputDigest = try Tool.sha256sum(input)

        var writer = LayerWriter()
        try writer.add(.file("/data/big.bin", from: input))
        let layer = try writer.write(into: BlobCache(root: directory.path + "/cache"))

        let reader = try LayerReader(source: FileSource(path: layer.path))
        let content = HashingSink()
        var found = false
        while let entry = try reader.next() {
            guard entry.path == "data/big.bin" else { continue }
            #expect(entry.size == Int64(Self.megabytes) << 20)
            try reader.readData(into: content)
            found = true
        }

        #expect(found)
        #expect(content.finalize().description == inputDigest)
        #expect(content.count == Int64(Self.megabytes) << 20)
        #expect(try Tool.sha256sum(layer.path) == layer.digest.description)
        let diffID = try Tool.shell("gzip -dc \"$1\" | sha256sum", arguments: [layer.path])
        #expect("sha256:" + diffID.prefix(64) == layer.diffID.description)
    }
}
