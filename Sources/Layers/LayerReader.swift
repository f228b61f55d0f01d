import CArchive
import Foundation
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

    public init(source: ByteSource, bufferSize: Int = 256 * 1024) throws {
        let peeked = try PeekedSource(source, count: LayerCompression.magicLength)
        let compression = try LayerCompression.detect(peeked.prefix)
        guard let archive = archive_read_new() else { throw LayerError.archive("cannot allocate a tar reader") }
        self.archive = archive
        context = SourceContext(source: peeked, bufferSize: bufferSize)
        dataBuffer = .allocate(byteCount: max(bufferSize, 4096), alignment: 16)
        // Only the one filter the magic names. ARCHIVE_WARN from a filter means libarchive was
        // built without the library and would run an external program: refused, never opened.
        switch compression {
        case .gzip: try requireInProcess(archive_read_support_filter_gzip(archive), "gzip")
        case .zstd: try requireInProcess(archive_read_support_filter_zstd(archive), "zstd")
        case .none: break
        }
        try check(archive_read_support_format_tar(archive))
        // A zero-byte layer (an empty gzip member decompresses to nothing) is a valid empty layer.
        try check(archive_read_support_format_empty(archive))
        let client = Unmanaged.passUnretained(context).toOpaque()
        try check(archive_read_open(archive, client, nil, { _, client, buffer in
            guard let client, let buffer else { return -1 }
            let context = Unmanaged<SourceContext>.fromOpaque(client).takeUnretainedValue()
            do {
                let count = try context.source.read(into: context.buffer)
                buffer.pointee = UnsafeRawPointer(context.buffer.baseAddress)
                return count
            } catch {
                context.error = error
                return -1
            }
        }, nil))
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
            return nil
        }
        try check(status)
        guard let entry else { throw LayerError.archive("missing entry header") }
        current = entry
        return try Self.describe(entry)
    }

    /// Streams the current entry's content to `sink`; errors of the sink and of the source
    /// propagate as they were thrown.
    public func readData(into sink: ByteSink) throws {
        guard current != nil else { return }
        let buffer = dataBuffer
        while true {
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

    private func requireInProcess(_ status: Int32, _ name: String) throws {
        guard status == ARCHIVE_OK else {
            throw LayerError.compression("this libarchive has no built-in \(name) decoder (it would run an external program)")
        }
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
        let raw = string(archive_entry_pathname_utf8(entry), archive_entry_pathname(entry))
        let (path, pathSafe) = LayerPath.clean(raw)
        try LayerPath.checkLimits(raw: raw, normalized: path)
        var result = LayerEntry(path: path, rawPath: raw, kind: kind(of: entry),
                                mode: UInt32(archive_entry_perm(entry)) & 0o7777,
                                uid: Int(archive_entry_uid(entry)), gid: Int(archive_entry_gid(entry)),
                                size: archive_entry_size(entry), mtime: Int64(archive_entry_mtime(entry)),
                                isSafe: pathSafe)
        let hardlinkUTF8 = archive_entry_hardlink_utf8(entry), hardlinkRaw = archive_entry_hardlink(entry)
        if hardlinkUTF8 != nil || hardlinkRaw != nil {
            let rawTarget = string(hardlinkUTF8, hardlinkRaw)
            let target = LayerPath.clean(rawTarget)
            try LayerPath.checkLimits(raw: rawTarget, normalized: target.path)
            result.kind = .hardlink
            result.linkTarget = target.path
            result.isSafe = result.isSafe && target.safe && !target.path.isEmpty
        } else if result.kind == .symlink {
            let target = string(archive_entry_symlink_utf8(entry), archive_entry_symlink(entry))
            try LayerPath.checkLimits(raw: target, normalized: nil)
            result.linkTarget = target
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
    /// (which then may not be valid UTF-8 and are decoded with replacement characters).
    private static func string(_ utf8: UnsafePointer<CChar>?, _ raw: UnsafePointer<CChar>?) -> String {
        if let utf8 { return String(cString: utf8) }
        if let raw { return String(decoding: UnsafeRawBufferPointer(start: raw, count: strlen(raw)), as: UTF8.self) }
        return ""
    }
}

/// A source whose first bytes were read ahead (to tell the compression) and are served again.
final class PeekedSource: ByteSource, @unchecked Sendable {
    private let upstream: ByteSource
    private(set) var prefix: [UInt8] = []
    private var served = 0

    init(_ upstream: ByteSource, count: Int) throws {
        self.upstream = upstream
        var buffer = [UInt8](repeating: 0, count: count)
        while prefix.count < count {
            let read = try buffer.withUnsafeMutableBytes { try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(count - prefix.count)])) }
            if read == 0 { break }
            prefix += buffer[0..<read]
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard served < prefix.count else { return try upstream.read(into: buffer) }
        let count = min(buffer.count, prefix.count - served)
        prefix.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[served..<served + count])) }
        served += count
        return count
    }
}

/// The callback's view of the source: a reusable read buffer and the first error thrown.
final class SourceContext {
    let source: ByteSource
    let buffer: UnsafeMutableRawBufferPointer
    var error: Error?
    init(source: ByteSource, bufferSize: Int) {
        self.source = source
        buffer = .allocate(byteCount: max(bufferSize, 4096), alignment: 16)
    }
    deinit { buffer.deallocate() }
}
