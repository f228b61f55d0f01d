import CSystem
import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// Checks that a file samforge will write at the end of a command (`--digest-file`,
/// `--output-env`, a lock file, an archive) can be written, before any transfer starts: a
/// failure after a push would lose the result. The check does what the write will do (opens
/// the file, creates one in its directory) rather than trust permission bits, which root
/// ignores and kernel filesystems (/proc, /sys) do not reflect. The reason is the OS's, in words.
public enum OutputPath {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// How the command writes the file.
    public enum Write: Sendable {
        /// Opened where it is (through a symlink), truncated or appended to.
        case inPlace
        /// Written next to it and renamed over it: the directory must take new files.
        case replace
    }

    /// `path` is a writable file (or one that can be created there). Messages start
    /// `WHAT PATH: ` (`--lock samforge.lock: `), or `label: ` when given (`docker-archive:F: `).
    public static func checkWritable(_ path: String, what: String, write: Write = .inPlace, label: String? = nil) throws(Problem) {
        func fail(_ reason: String) -> Problem { Problem(description: "\(label ?? "\(what) \(path)"): \(reason)") }
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK, stat(path, &info) != 0 {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
            throw fail("is a symbolic link to \(target), which does not exist (remove the link, or create what it names)")
        }
        let directory = parentDirectory(of: path)
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { throw fail("is a directory") }
            if let kernel = kernelFilesystem(path) { throw fail("is a file of \(kernel), a kernel filesystem: it takes no writes") }
            switch write {
            case .inPlace:
                // O_NONBLOCK: a FIFO without a reader fails here instead of blocking.
                let descriptor = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
                guard descriptor >= 0 else { throw fail(reason(errno)) }
                close(descriptor)
            case .replace:
                if let problem = creationProblem(in: directory) { throw fail(problem) }
            }
            return
        }
        if errno == ENOTDIR, let file = firstNonDirectory(above: path) { throw fail("\(file) is not a directory") }
        guard errno == ENOENT else { throw fail(reason(errno)) }
        guard stat(directory, &info) == 0 else {
            throw fail(errno == ENOENT ? "no such directory \(directory)" : "\(directory): \(reason(errno))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw fail("\(directory) is not a directory") }
        if let problem = creationProblem(in: directory) { throw fail(problem) }
    }

    /// Why no new file can be created in `directory` (nil: one can): a file is created and
    /// removed at once, as the write will.
    public static func creationProblem(in directory: String) -> String? {
        if let kernel = kernelFilesystem(directory) { return "cannot create it in \(directory): \(kernel) is a kernel filesystem that takes no files" }
        var template = Array((directory + "/.samforge-check-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { return "cannot create it in \(directory): \(reason(errno))" }
        close(descriptor)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return nil
    }

    /// The kernel's pseudo filesystems: their files open for writing (as root) and then fail
    /// every write, or take no new files.
    static func kernelFilesystem(_ path: String) -> String? {
        let type = csystem_filesystem_type(path)
        guard type >= 0 else { return nil }
        let names: [Int: String] = [0x9FA0: "proc", 0x6265_6572: "sysfs", 0x27E0EB: "cgroup", 0x6367_7270: "cgroup2",
                                    0x6462_6720: "debugfs", 0x7472_6163: "tracefs", 0x7363_6673: "securityfs", 0xCAFE_4A11: "bpf",
                                    0x6265_6570: "configfs", 0xDE5E_81E4: "efivarfs", 0x6165_676C: "pstore"]
        return names[type]
    }

    /// The nearest existing ancestor of `path` that is not a directory (ENOTDIR's cause).
    static func firstNonDirectory(above path: String) -> String? {
        var ancestor = parentDirectory(of: path)
        var info = stat()
        while ancestor != "/" && ancestor != "." {
            if stat(ancestor, &info) == 0 { return (info.st_mode & S_IFMT) == S_IFDIR ? nil : ancestor }
            ancestor = parentDirectory(of: ancestor)
        }
        return nil
    }

    static func parentDirectory(of path: String) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "." : parent
    }

    /// The C library's words for an errno ("permission denied"), and for a full disk what to
    /// do about it.
    public static func reason(_ code: Int32) -> String {
        let words = String(cString: strerror(code)).lowercased()
        return code == ENOSPC || code == EDQUOT ? words + " (free some space there, or write somewhere else)" : words
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
        case .fileWriteVolumeReadOnly: return "read-only file system"
        case .fileWriteInvalidFileName, .fileReadInvalidFileName: return "invalid file name"
        default: break
        }
    }
    // Never Foundation's own sentence (curly quotes, no cause): the code at least.
    if nsError.domain == NSCocoaErrorDomain { return "file error \(nsError.code)" }
    return escapedASCII(String(describing: error))
}
