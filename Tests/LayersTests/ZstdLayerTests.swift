import Foundation
import OCI
import Streams
import Testing
@testable import Layers

/// zstd layers: written by libzstd's multithreaded compressor, the same bytes whatever the
/// number of threads and however the input is cut, read back by zstd(1) and python's tarfile,
/// both digests taken in the one pass; and the decoder's verdicts on damaged streams.
@Suite struct ZstdLayerTests {
    /// About 6 MB of text and binary content: more than one of libzstd's 2 MiB windows and
    /// jobs, so the workers really split it.
    static func specs(in directory: TemporaryDirectory) throws -> [LayerEntrySpec] {
        var generator = Seeded(seed: 3)
        var specs = try GzipStabilityTests.specs(in: directory)
        let path = directory.path + "/big.bin"
        let bytes = (0..<(3 << 20)).map { index in index % 4096 < 2048 ? UInt8(truncatingIfNeeded: generator.next()) : UInt8(index % 251) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        specs.append(.file("/opt/big.bin", from: path))
        return specs
    }

    static func write(_ specs: [LayerEntrySpec], level: Int32 = 3, workers: Int, in directory: TemporaryDirectory, name: String) throws -> WrittenLayer {
        var writer = LayerWriter(mtime: 1_700_000_000, compression: try Compression(.zstd, level: level))
        writer.zstdWorkers = workers
        try writer.add(contentsOf: specs)
        return try writer.write(into: BlobCache(root: directory.path + "/" + name))
    }

    @Test(arguments: [1, 3, 19]) func sameBytesWhateverTheNumberOfThreads(level: Int32) throws {
        let directory = try TemporaryDirectory()
        let specs = try Self.specs(in: directory)
        let layers = try [1, 2, 4].map { try Self.write(specs, level: level, workers: $0, in: directory, name: "w\($0)") }
        #expect(Set(layers.map(\.digest)).count == 1, "\(layers.map(\.digest))")
        #expect(Set(layers.map(\.diffID)).count == 1)
        #expect(layers[0].compression == (try Compression(.zstd, level: level)))
    }

    /// The compressor sees the stream in whatever pieces it is written in: the frame does not.
    @Test func sameBytesWhateverTheWrites() throws {
        let input = (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: ($0 * 131) >> 3) }
        var outputs: Set<[UInt8]> = []
        for piece in [1 << 20, 4096, 1_000_003] {
            let sink = CollectingSink(limit: 1 << 24)
            let zstd = try ZstdSink(level: 3, workers: 2, forwardingTo: sink)
            try input.withUnsafeBytes { bytes in
                for start in stride(from: 0, to: bytes.count, by: piece) {
                    try zstd.write(UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + piece, bytes.count)]))
                }
            }
            try zstd.finish()
            outputs.insert(sink.bytes)
        }
        #expect(outputs.count == 1)
    }

    @Test func independentToolsReadTheLayer() throws {
        let directory = try TemporaryDirectory()
        let layer = try Self.write(try Self.specs(in: directory), workers: 2, in: directory, name: "cache")
        try Tool.shell("zstd -q -t \"$1\"", arguments: [layer.path])
        #expect(try Tool.sha256sum(layer.path) == layer.digest.description)
        let diffID = try Tool.shell("zstd -q -dc \"$1\" | sha256sum", arguments: [layer.path])
        #expect("sha256:" + diffID.prefix(64) == layer.diffID.description)
        // The frame carries its checksum (zstd -lv says XXH64) and no content size.
        let info = try Tool.shell("zstd -lv \"$1\" 2>&1", arguments: [layer.path])
        #expect(info.contains("Check: XXH64"), "\(info)")
        let names = try Tool.python("""
            import io, subprocess, sys, tarfile
            tar = subprocess.run(["zstd", "-q", "-dc", sys.argv[1]], check=True, capture_output=True).stdout
            with tarfile.open(fileobj=io.BytesIO(tar)) as t:
                big = t.extractfile("opt/big.bin").read()
                print(len(t.getmembers()), len(big), t.getmember("opt/tree/dir2/file-2.txt").type.decode())
            """, [layer.path])
        // Our own reader sees the same entries, verifying the diff_id on the way.
        let reader = try LayerReader(source: FileSource(path: layer.path), expectedDiffID: layer.diffID)
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(names.trimmingCharacters(in: .whitespacesAndNewlines) == "\(count) \(3 << 20) 1", "\(names)")
        #expect(count > 400 && reader.diffID == layer.diffID)
    }

    /// Frames follow each other as one stream (zstd(1) reads them so), skippable frames are
    /// skipped; anything else after the last frame, or a frame cut short, is refused.
    @Test(arguments: [("two frames", true), ("skippable frame between", true), ("garbage after", false),
                      ("two bytes after", false), ("cut in the second frame", false)])
    func framesAndWhatFollows(_ shape: String, accepted: Bool) throws {
        let tar = DecompressionTests.tarBytes
        let half = tar.count / 2
        let first = try Self.frame(Array(tar[..<half])), second = try Self.frame(Array(tar[half...]))
        let skippable: [UInt8] = [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]
        let blob: [UInt8]
        switch shape {
        case "two frames": blob = first + second
        case "skippable frame between": blob = first + skippable + second
        case "garbage after": blob = first + second + Array("garbage after the frames".utf8)
        case "two bytes after": blob = first + second + [0x28, 0xB5]
        default: blob = first + Array(second.dropLast(5))
        }
        if accepted {
            let result = try DecompressionTests.read(blob, expecting: DecompressionTests.diffID)
            #expect(result.diffID == DecompressionTests.diffID)
        } else {
            let error = #expect(throws: LayerError.self) { try DecompressionTests.read(blob, expecting: DecompressionTests.diffID) }
            #expect(error?.description.hasPrefix("zstd: ") == true, "\(String(describing: error))")
        }
    }

    static func frame(_ bytes: [UInt8]) throws -> [UInt8] {
        let sink = CollectingSink(limit: 1 << 24)
        let zstd = try ZstdSink(level: 3, workers: 1, forwardingTo: sink)
        try bytes.withUnsafeBytes { try zstd.write($0) }
        try zstd.finish()
        return sink.bytes
    }

    @Test(arguments: [
        ("gzip", "gzip:6"), ("zstd", "zstd:3"), ("zstd:19", "zstd:19"), ("GZIP:1", "gzip:1"), ("zstd:1", "zstd:1"),
    ]) func compressionSettingsParse(_ text: String, _ expected: String) throws {
        #expect(try Compression(parsing: text).description == expected)
    }

    @Test(arguments: [
        ("zstd:20", "zstd levels are 1-19"), ("gzip:0", "gzip levels are 1-9"), ("zstd:", "the level must be a number"),
        ("lz4", "expected gzip or zstd, optionally with :LEVEL"), ("", "expected gzip or zstd, optionally with :LEVEL"),
        ("zstd:x", "the level must be a number"), ("zstd:-1", "zstd levels are 1-19"),
    ]) func badSettingsAreUsageErrors(_ text: String, _ reason: String) {
        let error = #expect(throws: LayerError.self) { try Compression(parsing: text) }
        #expect(error == .invalidCompression(text, reason: reason))
        #expect(error?.kind == .usage)
    }

    @Test func mediaTypesFollowTheManifestFlavour() throws {
        #expect(Compression.gzip.layerMediaType(docker: true) == MediaType.dockerLayerGzip)
        #expect(Compression.gzip.layerMediaType(docker: false) == MediaType.ociLayerGzip)
        #expect(Compression.zstd.layerMediaType(docker: true) == MediaType.ociLayerZstd)
        #expect(Compression.zstd.layerMediaType(docker: false) == MediaType.ociLayerZstd)
        #expect(Compression.gzip.fitsDockerSchema2 && !Compression.zstd.fitsDockerSchema2)
    }
}
