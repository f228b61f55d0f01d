import Foundation
import TestSupport
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
        let result = try Command.run(argv[0], Array(argv.dropFirst()))
        guard result.status == 0 else {
            throw Failure(command: argv.joined(separator: " "), status: result.status, stderr: result.stderr)
        }
        return result.stdout
    }
}
