import Foundation
import OCI
import Streams

/// Blob I/O for the on-disk locations (OCI layout, docker archive). Every read and write is
/// checked against the descriptor's digest and size, as a registry transfer is; all of it is
/// blocking, so callers run it through `BlockingWork` (a pipe on the other side may block).
enum LocalBlob {
    /// Streams `length` bytes of `path` from `offset` into `sink`, then checks them against
    /// `expected` (the sink has seen the bytes by then: a committing sink commits afterwards).
    /// Reading stops at the descriptor's size: a file longer than it (a sparse terabyte) fails
    /// at its first extra byte, which never reaches `sink`.
    static func stream(path: String, offset: Int64 = 0, length: Int64? = nil, expected: Descriptor,
                       into sink: ByteSink, what: String) throws {
        var length = length
        if expected.size >= 0, let available = length ?? fileSize(path).map({ $0 - offset }) {
            length = min(available, expected.size + 1)
        }
        let source = try FileSource(path: path, offset: offset, length: length)
        let hashing = HashingSink(forwardingTo: sink)
        let limited: ByteSink = expected.size < 0 ? hashing : SizeLimitedSink(hashing, size: expected.size) {
            AssemblyError.invalidImage("\(what): the file goes on past the \(expected.size) bytes of its descriptor (\(expected.digest))")
        }
        try source.pump(to: limited)
        try check(hashing, against: expected, what: what)
    }

    /// Reads a small blob (manifest, config, index) whole, verified.
    static func read(path: String, offset: Int64 = 0, length: Int64? = nil, expected: Descriptor, limit: Int, what: String) throws -> [UInt8] {
        guard expected.size <= Int64(limit) else {
            throw AssemblyError.tooLarge(what: what, size: expected.size, limit: limit)
        }
        let collector = CollectingSink(limit: limit)
        try stream(path: path, offset: offset, length: length, expected: expected, into: collector, what: what)
        return collector.bytes
    }

    /// Writes `source` to a temporary file in `temporaryDirectory` while hashing it, and renames
    /// it to `path` only when digest and size match: a reader never sees a partial or wrong blob.
    static func write(_ source: ByteSource, to path: String, temporaryDirectory: String, expected: Descriptor, what: String) throws {
        let temporary = temporaryDirectory + "/.samforge-" + uniqueName() + ".partial"
        let file = try FileSink(path: temporary, shownAs: path)
        do {
            let hashing = HashingSink(forwardingTo: file)
            try source.pump(to: hashing)
            try check(hashing, against: expected, what: what)
            try file.commit(to: path)
        } catch {
            file.discard()
            throw error
        }
    }

    static func check(_ hashing: HashingSink, against expected: Descriptor, what: String) throws {
        if expected.size >= 0, hashing.count != expected.size {
            throw AssemblyError.invalidImage("\(what): size mismatch (expected \(expected.size) bytes, got \(hashing.count))")
        }
        let actual = hashing.finalize()
        guard actual == expected.digest else {
            throw AssemblyError.invalidImage("\(what): digest mismatch (expected \(expected.digest), got \(actual))")
        }
    }

    /// Size of a regular file, nil when there is none.
    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Writes a small file atomically (temporary file + rename in the same directory).
    static func writeSmallFile(_ bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.samforge-" + uniqueName() + ".partial"
        let file = try FileSink(path: temporary, shownAs: path)
        do {
            try bytes.withUnsafeBytes { try file.write($0) }
            try file.commit(to: path)
        } catch {
            file.discard()
            throw error
        }
    }
}
