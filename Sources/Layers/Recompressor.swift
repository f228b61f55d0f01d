import Foundation
import OCI
import Streams

/// Recompresses a layer blob (`copy --compression`): its uncompressed tar passes through
/// unchanged, so the diff_id (checked against the config's as it goes) stays what it was and
/// only the blob's digest and size change. Decompression and compression run on two threads;
/// nothing is held whole in memory or staged: the new blob goes straight into the cache.
public enum Recompressor {
    public struct Result: Sendable {
        public let digest: Digest
        public let size: Int64
        public let path: String

        public init(digest: Digest, size: Int64, path: String) {
            self.digest = digest
            self.size = size
            self.path = path
        }
    }

    /// Reads `source` (gzip, zstd or plain tar, told by its first bytes), writes it compressed
    /// as `compression` into `cache`.
    public static func recompress(_ source: ByteSource, to compression: Compression, expectedDiffID: Digest?,
                                  into cache: BlobCache) throws -> Result {
        let temporary = cache.makeTemporaryPath()
        do {
            let file = try FileSink(path: temporary, shownAs: cache.shownName)
            let blob = HashingSink(forwardingTo: file)
            let compressing = CompressionThread(try compression.makeSink(forwardingTo: blob))
            do {
                let tar = HashingSource(try LayerCompression.decoding(source))
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
                defer { buffer.deallocate() }
                while true {
                    try Interruption.check()
                    let count = try tar.read(into: buffer)
                    if count == 0 { break }
                    try compressing.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                }
                if let expectedDiffID, tar.finalize() != expectedDiffID {
                    throw LayerError.diffIDMismatch(expected: expectedDiffID, actual: tar.finalize())
                }
                try compressing.finish()
            } catch {
                compressing.cancel(error)
                throw error
            }
            try file.close()
            let digest = blob.finalize()
            try cache.commit(temporaryPath: temporary, digest: digest)
            return Result(digest: digest, size: blob.count, path: cache.path(for: digest))
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
