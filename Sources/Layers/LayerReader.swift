import CArchive
import Foundation
import OCI
import Streams

/// Streams the entries of a layer blob (gzip, zstd or plain tar, told by its first bytes: see
/// `LayerCompression`) from any `ByteSource`, e.g. a registry GET through a `BoundedPipe`.
/// Memory is one read buffer plus the decompressor's state, however large the layer.
/// Only in-process decoders are ever enabled: libarchive's external-program filters (which
/// would exec `lrzip`, `lzop`, `grzip`, …) are never registered.
///
/// Use on one thread: `next()`, then optionally `readData(into:)` or `skipData()`; unread data
/// is skipped by the next `next()`.
public final class LayerReader {
    private let archive: OpaquePointer
    private let context: SourceContext
    private var current: OpaquePointer?
    /// libarchive refuses calls after EOF; `next()` keeps answering nil instead.
    private var finished = false
    /// Entry data lands here; separate from the source buffer libarchive is decompressing from.
    private let dataBuffer: UnsafeMutableRawBufferPointer
    /// The uncompressed stream, hashed as libarchive (and, at the end, `verifyToEnd`) reads it.
    private let tar: HashingSource
    private let expectedDiffID: Digest?
    /// sha256 of the whole uncompressed layer, once `next()` has returned nil.
    public private(set) var diffID: Digest?

    /// - Parameter expectedDiffID: the config's diff_id for this layer: read to its end, the
    ///   uncompressed stream must hash to it (a reader stopped early cannot tell).
    /// - Parameter decoded: `source` is already the uncompressed tar (decompressed on a thread of
    ///   its own, see `LayerCompression.decoding`), so its first bytes are not judged again.
    public init(source: ByteSource, bufferSize: Int = 256 * 1024, expectedDiffID: Digest? = nil, decoded: Bool = false) throws {
        tar = HashingSource(decoded ? source : try LayerCompression.decoding(source))
        self.expectedDiffID = expectedDiffID
        guard let archive = archive_read_new() else { throw LayerError.archive("cannot allocate a tar reader") }
        self.archive = archive
        context = SourceContext(source: tar, bufferSize: bufferSize)
        dataBuffer = .allocate(byteCount: max(bufferSize, 4096), alignment: 16)
        // No filter at all: decompression happened above, in process. libarchive only parses
        // the tar, so none of its external-program filters can ever be chosen.
        try check(archive_read_support_format_tar(archive))
        // A zero-byte layer (an empty gzip member decompresses to nothing) is a valid empty layer.
        try check(archive_read_support_format_empty(archive))
        try check(ArchiveInput.open(archive, context))
    }

    deinit {
        archive_read_free(archive)
        dataBuffer.deallocate()
    }

    /// The next entry, or nil at the end of the layer.
    public func next() throws -> LayerEntry? {
        try UTF8Locale.run { try nextEntry() }
    }

    private func nextEntry() throws -> LayerEntry? {
        guard !finished else { return nil }
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF {
            current = nil
            finished = true
            // libarchive ends a tar quietly when reading its last zero block failed: the source's
            // error (a bad gzip trailer, a dropped connection) still counts.
            if let error = context.error { throw error }
            try verifyToEnd()
            return nil
        }
        try check(status)
        guard let entry else { throw LayerError.archive("missing entry header") }
        current = entry
        return try Self.describe(entry)
    }

    /// After the tar's end: the rest of the stream (padding, and the gzip trailer and whatever
    /// follows it, which `GunzipSource` checks) is read and hashed too, so the diff_id covers
    /// every uncompressed byte, as Docker computes it.
    private func verifyToEnd() throws {
        while try tar.read(into: dataBuffer) > 0 { try Interruption.check() }
        let actual = tar.finalize()
        diffID = actual
        if let expectedDiffID, actual != expectedDiffID {
            throw LayerError.diffIDMismatch(expected: expectedDiffID, actual: actual)
        }
    }

    /// Streams the current entry's content to `sink`; errors of the sink and of the source
    /// propagate as they were thrown.
    public func readData(into sink: ByteSink) throws {
        guard current != nil else { return }
        let buffer = dataBuffer
        while true {
            try Interruption.check()
            let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
            if count == 0 { return }
            // Any negative status here is a failure: even a warning carries no data to write.
            if count < 0 { throw failure(Int32(clamping: count)) }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    public func skipData() throws {
        guard current != nil else { return }
        try check(archive_read_data_skip(archive))
    }

    /// The source's own error (a dropped connection) when that is what failed, else libarchive's.
    /// Warnings (e.g. an unknown PAX keyword) are not failures.
    private func check(_ status: Int32) throws {
        if status == ARCHIVE_OK || status == ARCHIVE_WARN { return }
        throw failure(status)
    }

    private func failure(_ status: Int32) -> Error {
        if let error = context.error { return error }
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "error \(status)"
        return LayerError.archive(message)
    }

    /// The entry as a `LayerEntry`; names beyond `LayerPath`'s limits are refused here, so no
    /// consumer ever works on one (a 10,000-component path cost the merged view quadratic time).
    private static func describe(_ entry: OpaquePointer) throws -> LayerEntry {
        let name = bytes(archive_entry_pathname_utf8(entry), archive_entry_pathname(entry))
        let (raw, isUTF8) = LayerName.decode(name)
        let (path, pathSafe) = LayerPath.clean(raw)
        let pathBytes = isUTF8 ? nil : LayerName.clean(name)
        try LayerPath.checkLimits(raw: raw, normalized: path, length: pathBytes?.count)
        var result = LayerEntry(path: path, rawPath: raw, kind: kind(of: entry),
                                mode: UInt32(archive_entry_perm(entry)) & 0o7777,
                                uid: Int(archive_entry_uid(entry)), gid: Int(archive_entry_gid(entry)),
                                size: archive_entry_size(entry), mtime: Int64(archive_entry_mtime(entry)),
                                isSafe: pathSafe)
        result.pathBytes = pathBytes
        result.isSparse = archive_entry_sparse_count(entry) > 0
        let hardlinkUTF8 = archive_entry_hardlink_utf8(entry), hardlinkRaw = archive_entry_hardlink(entry)
        if hardlinkUTF8 != nil || hardlinkRaw != nil {
            let targetName = bytes(hardlinkUTF8, hardlinkRaw)
            let (rawTarget, targetIsUTF8) = LayerName.decode(targetName)
            let target = LayerPath.clean(rawTarget)
            let targetBytes = targetIsUTF8 ? nil : LayerName.clean(targetName)
            try LayerPath.checkLimits(raw: rawTarget, normalized: target.path, length: targetBytes?.count)
            result.kind = .hardlink
            result.linkTarget = target.path
            result.linkTargetBytes = targetBytes
            result.isSafe = result.isSafe && target.safe && !target.path.isEmpty
        } else if result.kind == .symlink {
            let targetName = bytes(archive_entry_symlink_utf8(entry), archive_entry_symlink(entry))
            let (target, targetIsUTF8) = LayerName.decode(targetName)
            try LayerPath.checkLimits(raw: target, normalized: nil, length: targetName.count)
            result.linkTarget = target
            result.linkTargetBytes = targetIsUTF8 ? nil : targetName
        }
        result.whiteout = LayerEntry.classifyWhiteout(path)
        if case .whiteout(let target) = result.whiteout, !LayerPath.clean(target).safe { result.isSafe = false }
        return result
    }

    private static func kind(of entry: OpaquePointer) -> LayerEntry.Kind {
        switch archive_entry_filetype(entry) & 0o170000 {
        case 0o040000: return .directory
        case 0o120000: return .symlink
        case 0o020000: return .characterDevice
        case 0o060000: return .blockDevice
        case 0o010000: return .fifo
        default: return .file
        }
    }

    /// libarchive returns names as UTF-8 when it can convert them, else the raw header bytes
    /// (which then may not be valid UTF-8: `LayerName` keeps them).
    private static func bytes(_ utf8: UnsafePointer<CChar>?, _ raw: UnsafePointer<CChar>?) -> [UInt8] {
        guard let name = utf8 ?? raw else { return [] }
        return Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
    }
}
