import Foundation

/// Runs a program and captures its output (for samforge itself and independent checkers:
/// skopeo, umoci, bsdtar, python3).
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// The last non-empty stdout line (samforge prints its result there).
    public var lastLine: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
}

public enum Command {
    /// `input`, when given, is the program's stdin (else /dev/null).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           workingDirectory: String? = nil, input: String? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let out = try TemporaryFile(), err = try TemporaryFile()
        process.standardOutput = out.handle
        process.standardError = err.handle
        var inputFile: TemporaryFile?
        if let input {
            let file = try TemporaryFile()
            try file.handle.write(contentsOf: Data(input.utf8))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: file.path))
            inputFile = file
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        defer { _ = inputFile?.contents() }  // removes it
        try process.run()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: out.contents(), stderr: err.contents())
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
