import CArchive
import Streams

/// Decompresses a zstd stream read from `upstream` with libarchive's in-process zstd filter
/// (libzstd) and its "raw" format, so the layer reader can hash the uncompressed bytes
/// (the diff_id) before its tar parser sees them. libzstd checks each frame's checksum when the
/// frame has one, and the whole diff_id is checked at the end in any case.
final class ZstdSource: ByteSource, @unchecked Sendable {
    private let archive: OpaquePointer
    private let context: SourceContext
    private var ended = false

    init(_ upstream: ByteSource, bufferSize: Int = 64 * 1024) throws {
        guard let archive = archive_read_new() else { throw LayerError.decompression("cannot allocate a zstd reader") }
        self.archive = archive
        context = SourceContext(source: upstream, bufferSize: bufferSize)
        // ARCHIVE_WARN means libarchive lacks libzstd and would run `zstd -d`: refused.
        guard archive_read_support_filter_zstd(archive) == ARCHIVE_OK else {
            throw LayerError.decompression("this libarchive has no built-in zstd decoder (it would run an external program)")
        }
        guard archive_read_support_format_raw(archive) == ARCHIVE_OK,
              archive_read_support_format_empty(archive) == ARCHIVE_OK else { throw failure() }
        guard ArchiveInput.open(archive, context) == ARCHIVE_OK else { throw failure() }
        var entry: OpaquePointer?
        switch archive_read_next_header(archive, &entry) {
        case ARCHIVE_OK, ARCHIVE_WARN: break
        case ARCHIVE_EOF: ended = true  // a zstd stream of nothing
        default: throw failure()
        }
    }

    deinit { archive_read_free(archive) }

    /// The first failure, thrown again by every later read (see `GunzipSource`).
    private var failed: Error?

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failed { throw failed }
        guard !ended, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let count = archive_read_data(archive, base, buffer.count)
        if count < 0 {
            failed = failure()
            throw failure()
        }
        if count == 0 { ended = true }
        return count
    }

    private func failure() -> Error {
        if let error = context.error { return error }
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "unreadable zstd stream"
        return LayerError.decompression("zstd: \(message)")
    }
}
