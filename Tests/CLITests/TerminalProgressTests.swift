import Foundation
import Testing
import TestSupport

/// On a terminal (a pty from `script`), a status line follows the bytes in flight and is taken
/// down before the summary and the result; in a log (no terminal) progress stays plain lines.
@Suite("progress on a terminal", .enabled(if: TestWorld.available))
struct TerminalProgressTests {
    static let clearLine = "\r\u{1B}[K"

    /// `samforge ARGS` on a pseudo-terminal; what the terminal showed (stdout and stderr).
    static func onTerminal(_ arguments: [String]) throws -> CommandResult {
        let command = ([Command.samforgePath] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try Command.run("/usr/bin/script", ["-qefc", command, "/dev/null"])
    }

    @Test func statusLineFollowsTheCopyThenGivesWayToTheResult() throws {
        let target = CopyKit.newRepository("terminal", host: TestWorld.tls) + ":1"
        let result = try Self.onTerminal(["copy", "--ca-file", TestWorld.caFile, "\(TestWorld.plain)/\(CopyTests.nodeAMD64)", target])
        #expect(result.status == 0, "\(result.stdout)")
        let screen = result.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(screen.contains(Self.clearLine + "  1 blob streaming · ") || screen.contains(Self.clearLine + "  2 blobs streaming · "), "\(screen)")
        // What stays on screen is each line's text after its last carriage return: the status
        // line is always cleared before a progress line, the summary or the result replaces it.
        let visible = screen.split(separator: "\n").map { line in
            String(line.split(separator: "\r", omittingEmptySubsequences: false).last ?? "").replacingOccurrences(of: "\u{1B}[K", with: "")
        }
        #expect(!visible.contains { $0.contains("streaming") }, "\(visible)")
        #expect(visible.contains { $0.hasPrefix("blobs: ") })
        #expect(visible.last == "\(target)@\(try CopyKit.fixture(CopyTests.nodeAMD64).digest)")
    }

    @Test func noTerminalNoEscapes() throws {
        let target = CopyKit.newRepository("log", host: TestWorld.tls) + ":1"
        let result = try CopyKit.succeed(["copy", "--ca-file", TestWorld.caFile, "\(TestWorld.plain)/\(CopyTests.nodeAMD64)", target])
        #expect(!result.stderr.contains("\u{1B}"))
        #expect(!result.stderr.contains("streaming"))
        #expect(result.stderr.contains("  copied   "))
    }

    @Test func buildShowsTheStatusLineToo() throws {
        let arguments = try BuildHarness.arguments(target: BuildHarness.newTarget("terminal-build", host: TestWorld.tls),
                                                   extra: ["--ca-file", TestWorld.caFile])
        let result = try Self.onTerminal(arguments)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains(" streaming · "), "\(result.stdout)")
        let last = result.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix(TestWorld.tls + "/"), "\(last)")
    }
}
