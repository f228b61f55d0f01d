import Foundation
import Streams

/// Where `MergedFilesystem` keeps the content of selected files while layers are applied: one
/// append-only file, each staged file a segment of it. One file rather than one per entry:
/// creating, closing and unlinking 100,000 small files cost minutes of system time on a busy
/// disk, and every path string a node kept cost memory; a segment is two integers. Nothing a
/// layer names (symlinked parents, odd bytes in names) ever becomes a path on this machine.
///
/// Content the merge drops (a file a later layer overrides or whites out) is released, and a
/// released segment's blocks are given back to the filesystem (a punched hole), so the spool
/// holds about what is live, not everything every layer had.
public final class Spool: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    /// Appends collect here and go to the file in large writes; reads flush first.
    private var pending: UnsafeMutableRawBufferPointer
    private var pendingCount = 0
    /// Bytes appended so far: the next segment's offset.
    private var end: Int64 = 0
    /// Segments shared by more than one name (hard links), by offset: extra references.
    private var sharedReferences: [Int64: Int] = [:]
    /// Bytes of the segments still referenced.
    public private(set) var liveBytes: Int64 = 0
    /// Segments still referenced (each hard-linked segment once).
    public private(set) var liveSegments = 0
    private let lock = NSLock()

    /// Creates `directory` if missing (it must be empty: everything in it is ours) and the spool
    /// file in it.
    public init(directory: String) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LayerError.io("cannot create staging directory \(directory): \(describeSystemError(error))")
        }
        guard (try? manager.contentsOfDirectory(atPath: directory).isEmpty) == true else {
            throw LayerError.io("staging directory \(directory) is not empty")
        }
        path = directory + "/content"
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LayerError.io("cannot create \(path): \(OutputPath.reason(errno))") }
        pending = .allocate(byteCount: 1 << 20, alignment: 16)
    }

    deinit {
        close(fd)
        unlink(path)
        pending.deallocate()
    }

    /// Streams the reader's current entry into a new segment.
    func stage(from reader: LayerReader) throws -> StagedContent {
        let start = lock.withLock { end }
        let sink = AppendSink(spool: self)
        do { try reader.readData(into: sink) } catch {
            // The partial segment is dropped (what was flushed of it is overwritten later).
            lock.withLock {
                pendingCount = max(0, pendingCount - Int(end - start))
                end = start
            }
            throw error
        }
        let length = lock.withLock { end - start }
        // An empty file still takes a byte of the spool: segments are told apart by their
        // offset (hard links are found by it), and an empty one must not share the next one's.
        if length == 0 { try withUnsafeBytes(of: UInt8(0)) { try append($0) } }
        lock.withLock {
            liveBytes += length
            liveSegments += 1
        }
        return StagedContent(spool: self, offset: start, length: length)
    }

    /// A second name for staged content (a hard link of the image); each name is released on
    /// its own and the content goes when the last one does.
    func share(_ content: StagedContent) -> StagedContent {
        lock.withLock { sharedReferences[content.offset, default: 0] += 1 }
        return content
    }

    /// Drops one name's reference; the last one frees the segment's blocks.
    func release(_ content: StagedContent) {
        let freed: Bool = lock.withLock {
            if let extra = sharedReferences[content.offset] {
                sharedReferences[content.offset] = extra > 1 ? extra - 1 : nil
                return false
            }
            liveBytes -= content.length
            liveSegments -= 1
            return true
        }
        // Holes free only whole blocks: small segments are not worth the system call.
        guard freed, content.length >= 64 * 1024 else { return }
        lock.withLock { try? flush() }
        _ = punchHole(fd, 0x01 | 0x02, Int(content.offset), Int(content.length))  // KEEP_SIZE | PUNCH_HOLE
    }

    /// Reads `count` bytes of a segment from `offset` within it; fewer only at its end.
    func read(_ content: StagedContent, at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let wanted = Int(min(Int64(buffer.count), content.length - offset))
        guard wanted > 0 else { return 0 }
        try lock.withLock { try flush() }
        while true {
            let count = pread(fd, buffer.baseAddress, wanted, off_t(content.offset + offset))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = count < 0 ? String(cString: strerror(errno)) : "it ended early"
                throw LayerError.io("cannot read staged content from \(path): \(reason)")
            }
            return count
        }
    }

    fileprivate func append(_ bytes: UnsafeRawBufferPointer) throws {
        try lock.withLock {
            if pendingCount + bytes.count > pending.count { try flush() }
            if bytes.count >= pending.count {
                try writeAll(bytes, at: end)
            } else {
                UnsafeMutableRawBufferPointer(rebasing: pending[pendingCount...]).copyMemory(from: bytes)
                pendingCount += bytes.count
            }
            end += Int64(bytes.count)
        }
    }

    /// Writes what is pending (lock held).
    private func flush() throws {
        guard pendingCount > 0 else { return }
        let count = pendingCount
        pendingCount = 0
        try writeAll(UnsafeRawBufferPointer(rebasing: pending[0..<count]), at: end - Int64(count))
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        var written = 0
        while written < bytes.count {
            let count = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(offset) + off_t(written))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw LayerError.io("cannot write \(path): \(OutputPath.reason(errno))") }
            written += count
        }
    }
}

/// fallocate(2), a GNU extension the Glibc module does not export (64-bit offsets on Linux).
@_silgen_name("fallocate")
private func punchHole(_ fd: Int32, _ mode: Int32, _ offset: Int, _ length: Int) -> Int32

/// One staged file: a segment of a spool. Equal segments are one file's content (the names of
/// a hard link share theirs), which is how a copy restores hard links.
public struct StagedContent: Sendable, Hashable, CustomStringConvertible {
    let spool: Spool
    public let offset: Int64
    public let length: Int64

    public static func == (a: StagedContent, b: StagedContent) -> Bool {
        a.spool === b.spool && a.offset == b.offset && a.length == b.length
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(spool))
        hasher.combine(offset)
    }

    public var description: String { "\(length) staged bytes at \(offset) of \(spool.path)" }

    /// The content as a stream, from its start.
    func source() -> ByteSource { StagedSource(content: self) }
}

/// Appends what is written to a spool (the current segment).
private final class AppendSink: ByteSink, @unchecked Sendable {
    let spool: Spool
    init(spool: Spool) { self.spool = spool }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try spool.append(bytes) }
}

/// Reads one segment of a spool.
private final class StagedSource: ByteSource, @unchecked Sendable {
    let content: StagedContent
    private var position: Int64 = 0
    init(content: StagedContent) { self.content = content }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try content.spool.read(content, at: position, into: buffer)
        position += Int64(count)
        return count
    }
}
