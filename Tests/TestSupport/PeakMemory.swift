import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program as its own process and reports that process's peak resident memory.
/// Tests run in parallel inside one process, so only a child's own high-water mark measures one
/// operation and nothing else. It is taken by GNU time(1) around the program, not by our own
/// wait4: Linux carries a process's ru_maxrss across exec, and a child spawned from this (large)
/// test process starts with this process's peak; time's child starts from time's small one.
public struct MeasuredRun: Sendable {
    public var result: CommandResult
    /// ru_maxrss of the child, in bytes.
    public var peakBytes: Int
}

public enum PeakMemory {
    /// `samforge ARGUMENTS` with the current environment, measured.
    public static func samforge(_ arguments: [String]) throws -> MeasuredRun {
        try run(Command.samforgePath, arguments, environment: ProcessInfo.processInfo.environment)
    }

    /// posix_spawn of `time -f %M -o FILE PROGRAM …` + wait4 (time's status is the program's).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> MeasuredRun {
        let out = try TemporaryFile(), err = try TemporaryFile(), peak = try TemporaryFile()
        let timed = ["/usr/bin/time", "-f", "%M", "-o", peak.path, executable] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out.path, O_WRONLY | O_TRUNC, 0)
        posix_spawn_file_actions_addopen(&actions, 2, err.path, O_WRONLY | O_TRUNC, 0)

        let argv = timed.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, timed[0], &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO)
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        // WEXITSTATUS / WTERMSIG, spelled out: the macros do not import into Swift.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        // time writes "Command exited with non-zero status N" before the number when it is not 0.
        let kilobytes = peak.contents().split(separator: "\n").last.flatMap { Int($0) } ?? 0
        return MeasuredRun(result: CommandResult(status: exitStatus, stdout: out.contents(), stderr: err.contents()),
                           peakBytes: kilobytes * 1024)
    }
}
