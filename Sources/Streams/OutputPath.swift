import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks that a file samforge will write at the end of a command (`--digest-file`,
/// `--output-env`, a lock file, an archive) can be written, before any transfer starts: a
/// failure after a push would lose the result. The reason is the OS's, in words.
public enum OutputPath {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// `path` is a writable regular file, or can be created in an existing writable directory.
    public static func checkWritable(_ path: String, what: String) throws(Problem) {
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { throw Problem(description: "\(what) \(path): is a directory") }
            if access(path, W_OK) != 0 { throw Problem(description: "\(what) \(path): \(reason(errno))") }
            return
        }
        if errno != ENOENT { throw Problem(description: "\(what) \(path): \(reason(errno))") }
        let parent = (path as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        guard stat(directory, &info) == 0 else {
            throw Problem(description: "\(what) \(path): no such directory \(directory)")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw Problem(description: "\(what) \(path): \(directory) is not a directory") }
        if access(directory, W_OK) != 0 { throw Problem(description: "\(what) \(path): cannot create it in \(directory): \(reason(errno))") }
    }

    /// The C library's words for an errno ("permission denied").
    public static func reason(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }
}

/// A Foundation file error in the OS's words ("permission denied", "no such file or
/// directory"), never Foundation's "The operation could not be completed".
public func describeSystemError(_ error: Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return OutputPath.reason(Int32(underlying.code))
    }
    if nsError.domain == NSPOSIXErrorDomain { return OutputPath.reason(Int32(nsError.code)) }
    if let cocoa = error as? CocoaError {
        switch cocoa.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on device"
        case .fileWriteFileExists: return "file exists"
        default: break
        }
    }
    return String(describing: error)
}
