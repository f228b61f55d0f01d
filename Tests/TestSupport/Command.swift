import Foundation

/// Runs a program and captures its output (for samforge itself and independent checkers:
/// skopeo, umoci, bsdtar, python3).
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Killed at its deadline (see ChildProcess).
    public var timedOut = false
    /// The last non-empty stdout line (samforge prints its result there).
    public var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
}

public enum Command {
    /// `input`, when given, is the program's stdin (else /dev/null). A program still running
    /// after `timeout` seconds (ChildProcess.defaultDeadline) is killed: status 137, and its
    /// stderr ends with a line saying so.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           workingDirectory: String? = nil, input: String? = nil,
                           timeout: TimeInterval = ChildProcess.defaultDeadline) throws -> CommandResult {
        try start(executable, arguments, environment: environment, workingDirectory: workingDirectory, input: input)
            .finish(timeout: timeout)
    }

    /// Starts a program and returns at once (to signal it while it runs).
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                             workingDirectory: String? = nil, input: String? = nil) throws -> RunningCommand {
        let argv = executable.hasPrefix("/") ? [executable] + arguments : ["/usr/bin/env", executable] + arguments
        let out = try TemporaryFile(), err = try TemporaryFile()
        var inputFile: TemporaryFile?
        if let input {
            let file = try TemporaryFile()
            try file.handle.write(contentsOf: Data(input.utf8))
            inputFile = file
        }
        let process = try ChildProcess(argv, environment: environment ?? ProcessInfo.processInfo.environment,
                                       workingDirectory: workingDirectory, stdin: inputFile?.path ?? "/dev/null",
                                       stdout: out.path, stderr: err.path)
        return RunningCommand(process: process, argv: argv, out: out, err: err, input: inputFile)
    }

    /// `samforge ARGUMENTS`, started, with the current environment plus `environment`.
    public static func startSamforge(_ arguments: [String], environment extra: [String: String] = [:]) throws -> RunningCommand {
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value.isEmpty ? nil : value }
        return try start(samforgePath, arguments, environment: environment)
    }

    /// The samforge binary built next to the test bundle (or $SAMFORGE_BIN).
    public static var samforgePath: String {
        if let explicit = ProcessInfo.processInfo.environment["SAMFORGE_BIN"] { return explicit }
        let directory = Bundle.main.executableURL?.deletingLastPathComponent() ?? URL(fileURLWithPath: ".build/debug")
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("samforge").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return ".build/debug/samforge"
    }

    /// Runs samforge with the current environment plus `environment` (a value of "" removes a variable).
    public static func samforge(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value.isEmpty ? nil : value }
        let result = try run(samforgePath, arguments, environment: environment, input: input)
        ImageValidation.check(arguments, result, environment: environment)
        return result
    }
}

/// A command started by `Command.start`: signal it, then `finish` for its status and output.
public final class RunningCommand: @unchecked Sendable {
    public let process: ChildProcess
    let argv: [String]
    let out: TemporaryFile, err: TemporaryFile, input: TemporaryFile?

    init(process: ChildProcess, argv: [String], out: TemporaryFile, err: TemporaryFile, input: TemporaryFile?) {
        (self.process, self.argv, self.out, self.err, self.input) = (process, argv, out, err, input)
    }

    public var pid: pid_t { process.pid }
    public var isRunning: Bool { process.isRunning }
    public func signal(_ number: Int32) { process.signal(number) }

    /// Waits (killing it after `timeout` seconds) and collects what it wrote.
    public func finish(timeout: TimeInterval = ChildProcess.defaultDeadline) -> CommandResult {
        let exit = process.wait(timeout: timeout)
        _ = input?.contents()  // removes it
        var stderr = err.contents()
        if exit.timedOut { stderr += "\ntest: \(argv.joined(separator: " ")) was killed after \(Int(timeout)) s\n" }
        return CommandResult(status: exit.status, stdout: out.contents(), stderr: stderr, timedOut: exit.timedOut)
    }
}

/// Output goes to files, not pipes, so a chatty child never blocks on a full pipe.
final class TemporaryFile {
    let path: String
    let handle: FileHandle
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("samforge-out-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }
    func contents() -> String {
        try? handle.close()
        defer { try? FileManager.default.removeItem(atPath: path) }
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
