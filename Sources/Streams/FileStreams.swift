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
        fstat(fd, &info)
        self.fd = fd
        self.path = path
        self.start = offset
        self.length = length ?? (Int64(info.st_size) - offset)
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
            position += Int64(n)
            return n
        }
    }
}

/// Writes to a new file; `commit(to:)` renames it into place so readers never see a partial file.
public final class FileSink: ByteSink, @unchecked Sendable {
    private var fd: Int32
    public let path: String

    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StreamError.io("cannot create \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.path = path
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw StreamError.io("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    public func close() throws {
        guard fd >= 0 else { return }
        let result = Glibc.close(fd)
        fd = -1
        if result != 0 { throw StreamError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Closes and atomically renames the file to `destination`.
    public func commit(to destination: String) throws {
        try close()
        guard rename(path, destination) == 0 else {
            throw StreamError.io("cannot move \(path) to \(destination): \(String(cString: strerror(errno)))")
        }
    }
}
