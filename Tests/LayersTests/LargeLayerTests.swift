import Foundation
import OCI
import Streams
import Testing
@testable import Layers

/// A layer much larger than the memory the writer and reader may use.
@Suite struct LargeLayerTests {
    static let megabytes = 80

    @Test func largeFileStreamsThroughWriterAndReaderInFlatMemory() throws {
        let directory = try TemporaryDirectory()
        let input = directory.path + "/big.bin"
        // Incompressible input, so the blob is as large as the file too.
        try Tool.shell("head -c \(Self.megabytes)M /dev/urandom > \"$1\"", arguments: [input])
        let inputDigest = try Tool.sha256sum(input)
        let before = PeakMemory.reset()

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
        let growth = PeakMemory.peak() - before

        #expect(found)
        #expect(content.finalize().description == inputDigest)
        #expect(content.count == Int64(Self.megabytes) << 20)
        #expect(try Tool.sha256sum(layer.path) == layer.digest.description)
        let diffID = try Tool.shell("gzip -dc \"$1\" | sha256sum", arguments: [layer.path])
        #expect("sha256:" + diffID.prefix(64) == layer.diffID.description)
        // Peak RSS of the whole test process; other tests run concurrently but are small.
        #expect(before > 0)
        #expect(growth < 48 << 20, "peak RSS grew by \(growth >> 20) MB for an \(Self.megabytes) MB layer")
        // The probe itself must see a layer-sized buffer, or the bound above proves nothing.
        let probe = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.megabytes << 20, alignment: 4096)
        defer { probe.deallocate() }
        for offset in stride(from: 0, to: probe.count, by: 4096) { probe[offset] = 1 }
        #expect(PeakMemory.peak() - before > 64 << 20)
    }
}

/// The process's resident memory high-water mark (Linux /proc), resettable so a test measures
/// its own peak rather than whatever the test runner reached before it.
enum PeakMemory {
    /// Resets the high-water mark to the current RSS (Linux 4.0+) and returns that RSS.
    static func reset() -> Int {
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            try? handle.write(contentsOf: Data("5".utf8))
            try? handle.close()
        }
        return status("VmRSS:")
    }

    static func peak() -> Int { status("VmHWM:") }

    private static func status(_ key: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix(key) } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}
