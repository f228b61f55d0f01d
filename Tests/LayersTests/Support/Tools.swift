import Foundation
import Testing

/// Independent tools (python3, gzip, bsdtar, sha256sum) run as processes to check our output.
enum Tool {
    struct Failure: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let stderr: String
        var description: String { "\(command) exited \(status): \(stderr)" }
    }

    /// Runs `/bin/sh -c command` (pipes allowed) and returns stdout; a non-zero exit throws.
    @discardableResult
    static func shell(_ command: String, arguments: [String] = []) throws -> String {
        try run(["/bin/sh", "-c", command, "sh"] + arguments)
    }

    /// Runs a python3 script with arguments (`sys.argv[1:]`) and returns stdout.
    @discardableResult
    static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        try run(["/usr/bin/env", "python3", "-c", script] + arguments)
    }

    /// `sha256:<hex>` of a file, by coreutils.
    static func sha256sum(_ path: String) throws -> String {
        "sha256:" + String(try shell("sha256sum \"$1\"", arguments: [path]).prefix(64))
    }

    static func run(_ argv: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let stdout = Pipe()
        // stderr goes to a file: two pipes read one after the other can deadlock.
        let errorFile = NSTemporaryDirectory() + "layers-tests-stderr-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorFile) }
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: errorFile)
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            throw Failure(command: argv.joined(separator: " "), status: process.terminationStatus, stderr: message)
        }
        return String(decoding: output, as: UTF8.self)
    }
}
