import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file (or a slice of it) through a POSIX descriptor; rewindable for retries.
public final class FileSource: RewindableSource, @unchecked Sendable {
    private let fd: Int32
    private let start: Int64
    public let length: Int64?
    private var position: Int64 = 0
    public let path: String

    public init(path: String, offset: Int64 = 0, length: Int64? = nil) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StreamError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw StreamError.io("cannot stat \(path): \(message)")
        }
        let size = Int64(info.st_size)
        if (info.st_mode & S_IFMT) == S_IFDIR {
            Glibc.close(fd)
            throw StreamError.io("cannot read \(path): is a directory")
        }
        guard offset >= 0, offset <= size, (length ?? 0) >= 0 else {
            Glibc.close(fd)
            throw StreamError.io("invalid slice of \(path): offset \(offset), length \(length.map(String.init) ?? "to end") in a file of \(size) bytes")
        }
        self.fd = fd
        self.path = path
        self.start = offset
        self.length = length ?? (size - offset)
    }

    deinit { close(fd) }

    public func rewind() { position = 0 }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let remaining = (length ?? Int64.max) - position
        guard remaining > 0 else { return 0 }
        let want = Int(min(Int64(buffer.count), remaining))
        while true {
            let n = pread(fd, buffer.baseAddress, want, off_t(start + position))
            if n < 0 {
                if errno == EINTR { continue }
                throw StreamError.io("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            // The promised length is what a Content-Length header said: a shorter file is an
            // error, never a silently short body.
            if n == 0 && want > 0 {
                throw StreamError.io("cannot read \(path): file ended \(remaining) bytes before the expected length")
            }
            position += Int64(n)
            return n
        }
    }
}

/// Writes to a new file; `commit(to:)` renames it into place so readers never see a partial file.
public final class FileSink: ByteSink, @unchecked Sendable {
    private var fd: Int32
    private var committed = false
    public let path: String
    /// The file errors name: what the user asked for, not the temporary written first.
    public let shownPath: String

    /// - Parameter shownAs: the path errors name (the file this one will be renamed to).
    public init(path: String, shownAs: String? = nil) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StreamError.io("cannot create \(shownAs ?? path): \(OutputPath.reason(errno))") }
        self.fd = fd
        self.path = path
        shownPath = shownAs ?? path
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw StreamError.closed }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw StreamError.io("cannot write \(shownPath): \(OutputPath.reason(errno))")
            }
            offset += n
        }
    }

    public func close() throws {
        guard fd >= 0 else { return }
        let result = Glibc.close(fd)
        fd = -1
        if result != 0 { throw StreamError.io("cannot write \(shownPath): \(OutputPath.reason(errno))") }
    }

    /// Closes and removes the file: for an abandoned download or a failed digest check.
    public func discard() {
        try? close()
        if !committed { unlink(path) }
    }

    /// Closes and atomically renames the file to `destination`.
    public func commit(to destination: String) throws {
        try close()
        guard rename(path, destination) == 0 else {
            throw StreamError.io("cannot move \(path) to \(destination): \(String(cString: strerror(errno)))")
        }
        committed = true
    }
}
