import Foundation
import OCI
import Streams
import Testing
@testable import Layers

/// `copy --compression` layer by layer: the tar passes through unchanged (same diff_id), the
/// blob is what the writer would have made of it, and a blob that does not match its diff_id,
/// or a compressor that fails, stops the copy with the failure's own words.
@Suite struct RecompressorTests {
    @Test func aRoundTripGivesTheWritersOwnBlobs() throws {
        let directory = try TemporaryDirectory()
        let specs = try GzipStabilityTests.specs(in: directory)
        let gzip = try Fixture.layer(specs, in: directory, cacheName: "gzip")
        let cache = try BlobCache(root: directory.path + "/recompressed")
        let zstd = try Recompressor.recompress(FileSource(path: gzip.path), to: .zstd, expectedDiffID: gzip.diffID, into: cache)
        var writer = LayerWriter(compression: .zstd)
        try writer.add(contentsOf: specs)
        let written = try writer.write(into: BlobCache(root: directory.path + "/zstd"))
        // zstd from a gzip layer: the bytes the writer gives for the same entries.
        #expect(zstd.digest == written.digest && zstd.size == written.size)
        // And back: the very gzip blob (zlib level 6, pinned header) the writer made.
        let back = try Recompressor.recompress(FileSource(path: zstd.path), to: .gzip, expectedDiffID: gzip.diffID, into: cache)
        #expect(back.digest == gzip.digest)
        try Tool.shell("cmp \"$1\" \"$2\"", arguments: [back.path, gzip.path])
        // Plain tar in, too.
        let tar = CollectingSink(limit: 1 << 26)
        try LayerCompression.decoding(FileSource(path: gzip.path)).pump(to: tar)
        #expect(try Recompressor.recompress(MemorySource(tar.bytes), to: .gzip, expectedDiffID: gzip.diffID, into: cache).digest == gzip.digest)
    }

    @Test func aBlobThatIsNotItsDiffIDIsRefusedAndNothingIsCached() throws {
        let directory = try TemporaryDirectory()
        let layer = try Fixture.layer([.bytes("/a", Array("a".utf8))], in: directory)
        let cache = try BlobCache(root: directory.path + "/recompressed")
        let wrong = Digest.of(Array("another layer".utf8))
        #expect(throws: LayerError.diffIDMismatch(expected: wrong, actual: layer.diffID)) {
            try Recompressor.recompress(FileSource(path: layer.path), to: .zstd, expectedDiffID: wrong, into: cache)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/recompressed/blobs/sha256").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/recompressed/tmp").isEmpty)
    }

    /// A sink that fails after some bytes (a full disk, an upload refused).
    final class FailingSink: ByteSink, @unchecked Sendable {
        var left: Int
        init(after bytes: Int) { left = bytes }
        func write(_ bytes: UnsafeRawBufferPointer) throws {
            left -= bytes.count
            if left < 0 { throw StreamError.io("disk full") }
        }
    }

    /// The compressor's thread fails: the tar side stops and the writer throws that failure.
    @Test(arguments: [Compression.gzip, Compression.zstd]) func aFailingSinkStopsTheWriter(_ compression: Compression) throws {
        let directory = try TemporaryDirectory()
        var writer = LayerWriter(compression: compression)
        try writer.add(contentsOf: try ZstdLayerTests.specs(in: directory))
        let error = #expect(throws: StreamError.self) { try writer.write(to: FailingSink(after: 100_000)) }
        #expect(error?.description == "disk full")
    }
}
