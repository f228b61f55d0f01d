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

    /// `time -f %M -o FILE PROGRAM …` (time's status is the program's).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> MeasuredRun {
        let out = try TemporaryFile(), err = try TemporaryFile(), peak = try TemporaryFile()
        let timed = ["/usr/bin/time", "-f", "%M", "-o", peak.path, executable] + arguments
        let exit = try ChildProcess.run(timed, environment: environment, stdout: out.path, stderr: err.path)
        // time writes "Command exited with non-zero status N" before the number when it is not 0.
        let kilobytes = peak.contents().split(separator: "\n").last.flatMap { Int($0) } ?? 0
        return MeasuredRun(result: CommandResult(status: exit.status, stdout: out.contents(), stderr: err.contents()),
                           peakBytes: kilobytes * 1024)
    }
}
