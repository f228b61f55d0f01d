import CArchive
import Streams

/// A libarchive PAX (restricted) tar writer whose output goes to a `ByteSink` through
/// `archive_write_open` callbacks: no temporary tar on disk, no tar in memory.
/// PAX restricted writes plain ustar headers and adds an extended header only where ustar cannot
/// hold a value (long or non-ASCII names, big sizes), and never atime/ctime records.
final class TarArchiveWriter {
    /// One entry's header fields; the file type travels separately from the permission bits.
    struct Header {
        var name: String
        var fileType: UInt32
        var permissions: UInt32
        var uid: Int
        var gid: Int
        var mtime: Int64
        var size: Int64 = 0
        var symlink: String?
        var hardlink: String?
    }

    static let regularFile: UInt32 = 0o100000
    static let directory: UInt32 = 0o040000
    static let symbolicLink: UInt32 = 0o120000

    private let archive: OpaquePointer
    private let context: SinkContext
    private var closed = false

    init(sink: ByteSink) throws {
        guard let archive = archive_write_new() else { throw LayerError.archive("cannot allocate a tar writer") }
        self.archive = archive
        context = SinkContext(sink: sink)
        try check(archive_write_set_format_pax_restricted(archive))
        try check(archive_write_add_filter_none(archive))
        // Blocks of 10 KiB are only buffering; without this the end would be padded to a full block.
        try check(archive_write_set_bytes_in_last_block(archive, 1))
        let client = Unmanaged.passUnretained(context).toOpaque()
        try check(archive_write_open(archive, client, nil, { _, client, buffer, length in
            guard let client else { return -1 }
            let context = Unmanaged<SinkContext>.fromOpaque(client).takeUnretainedValue()
            do {
                try context.sink.write(UnsafeRawBufferPointer(start: buffer, count: length))
                return length
            } catch {
                context.error = error
                return -1
            }
        }, nil))
    }

    deinit {
        // An archive abandoned mid-entry (an error, a signal): archive_write_free would close it,
        // padding the unfinished entry with zeros (a whole 1 GiB file's worth, compressed and
        // hashed on the way), which took seconds after SIGTERM. Marked failed, it writes nothing.
        if !closed { archive_write_fail(archive) }
        archive_write_free(archive)
    }

    func writeHeader(_ header: Header) throws {
        let names = [header.name, header.symlink, header.hardlink].compactMap { $0 }
        guard UTF8Locale.isAvailable || names.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) else {
            throw LayerError.archive("cannot write non-ASCII name \"\(header.name)\": no UTF-8 locale (C.UTF-8) on this system")
        }
        try UTF8Locale.run { try writeEntry(header) }
    }

    private func writeEntry(_ header: Header) throws {
        guard let entry = archive_entry_new() else { throw LayerError.archive("cannot allocate a tar entry") }
        defer { archive_entry_free(entry) }
        // UTF-8 setters, converted by libarchive under UTF8Locale: the bytes written are the
        // UTF-8 of the name whatever the process locale.
        archive_entry_set_pathname_utf8(entry, header.name)
        archive_entry_set_filetype(entry, header.fileType)
        archive_entry_set_perm(entry, mode_t(header.permissions & 0o7777))
        archive_entry_set_uid(entry, Int64(header.uid))
        archive_entry_set_gid(entry, Int64(header.gid))
        archive_entry_set_mtime(entry, time_t(header.mtime), 0)
        archive_entry_set_size(entry, header.size)
        if let target = header.symlink { archive_entry_set_symlink_utf8(entry, target) }
        if let target = header.hardlink { archive_entry_set_hardlink_utf8(entry, target) }
        try check(archive_write_header(archive, entry), strict: true)
    }

    func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let written = archive_write_data(archive, base, bytes.count)
        if written < 0 { try check(Int32(clamping: written), strict: true) }
        guard written == bytes.count else { throw LayerError.archive("short write (\(written) of \(bytes.count) bytes)") }
    }

    /// Writes the end-of-archive blocks and flushes everything to the sink.
    func close() throws {
        guard !closed else { return }
        closed = true
        try check(archive_write_close(archive))
    }

    /// Turns a libarchive status into the sink's own error (a full disk, a failed upload) when
    /// that is what failed, else libarchive's message. Warnings are errors where `strict`:
    /// they mean a header was altered, which would break reproducibility.
    private func check(_ status: Int32, strict: Bool = false) throws {
        if status == ARCHIVE_OK || (status == ARCHIVE_WARN && !strict) { return }
        if let error = context.error { throw error }
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "error \(status)"
        throw LayerError.archive(message)
    }
}

/// The callback's view of the sink, and the first error it threw.
final class SinkContext {
    let sink: ByteSink
    var error: Error?
    init(sink: ByteSink) { self.sink = sink }
}
