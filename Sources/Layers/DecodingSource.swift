import Streams

/// A layer decoder (gunzip, zstd): its first failure is thrown again by every later read, since
/// a caller that swallowed it (libarchive does, reading a tar's end blocks) must not read on
/// from a broken stream.
protocol DecodingSource: ByteSource {
    var failure: Error? { get set }
    /// Decodes into `buffer`; 0 at the end of the stream.
    func decode(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension DecodingSource {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        do { return try decode(into: buffer) } catch {
            failure = error
            throw error
        }
    }
}
