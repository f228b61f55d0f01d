import Foundation
import OCI
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

    /// Every share the status line showed: `(37%)` values, in order.
    static func percentages(_ screen: String) -> [Int] {
        screen.matches(of: /\((\d+)%\)/).compactMap { Int($0.1) }
    }

    /// Once the writer has said what it moves, the line shows the total and a share that only
    /// grows and never passes 100%.
    @Test func statusLineShowsTotalsAndShare() throws {
        let target = CopyKit.newRepository("terminal-share", host: TestWorld.tls) + ":1"
        let result = try Self.onTerminal(["copy", "--ca-file", TestWorld.caFile, "\(TestWorld.plain)/\(CopyTests.nodeList)", target])
        #expect(result.status == 0, "\(result.stdout)")
        let total = humanSize(try Self.blobBytes("\(TestWorld.plain)/\(CopyTests.nodeList)"))
        #expect(result.stdout.contains(" streaming · "), "\(result.stdout)")
        let shares = result.stdout.matches(of: /streaming · [0-9.]+ [kMG]?B of ([0-9.]+ [kMG]?B) \((\d+)%\)/)
        #expect(!shares.isEmpty, "\(result.stdout)")
        #expect(shares.allSatisfy { String($0.1) == total }, "\(total): \(result.stdout)")
        let percentages = shares.compactMap { Int($0.2) }
        #expect(percentages == percentages.sorted() && percentages.allSatisfy { $0 <= 100 }, "\(percentages)")
    }

    /// The bytes of every distinct blob (configs and layers) of an index in a registry, read
    /// with `samforge manifest`.
    static func blobBytes(_ reference: String) throws -> Int64 {
        struct Index: Decodable { struct Entry: Decodable { var digest: String }; var manifests: [Entry] }
        struct Manifest: Decodable { struct Blob: Decodable { var digest: String; var size: Int64 }; var config: Blob; var layers: [Blob] }
        let index = try JSONDecoder().decode(Index.self, from: Data(try CopyKit.succeed(["manifest", reference]).stdout.utf8))
        let repository = reference.split(separator: ":").dropLast().joined(separator: ":")
        var sizes: [String: Int64] = [:]
        for entry in index.manifests {
            let manifest = try JSONDecoder().decode(Manifest.self, from: Data(try CopyKit.succeed(["manifest", "\(repository)@\(entry.digest)"]).stdout.utf8))
            for blob in [manifest.config] + manifest.layers { sizes[blob.digest] = blob.size }
        }
        return sizes.values.reduce(0, +)
    }

    /// A large --file: its compression shows on the status line, and in a log as quarters.
    @Test func compressingALargeFileShowsProgress() throws {
        let directory = try TemporaryDirectory().path
        let file = directory + "/big.bin"
        // 80 MB of zeros, sparse: quick to compress, and past the 64 MB a log reports.
        #expect(try Command.run("/usr/bin/truncate", ["-s", "80000000", file]).status == 0)
        let arguments = ["append", "--cache-dir", directory + "/cache", "--file", file + ":/big.bin", "scratch"]
        let terminal = try Self.onTerminal(arguments + ["oci:\(directory)/terminal:1"])
        #expect(terminal.status == 0, "\(terminal.stdout)")
        #expect(terminal.stdout.contains(Self.clearLine + "  compressing new files · "), "\(terminal.stdout)")
        #expect(Self.percentages(terminal.stdout).allSatisfy { $0 <= 100 })
        let log = try CopyKit.succeed(arguments + ["--cache-dir", directory + "/cache2", "oci:\(directory)/log:1"])
        let quarters = log.stderr.split(separator: "\n").filter { $0.hasPrefix("  compressing new files: ") }
        #expect(quarters.count == 4, "\(log.stderr)")
        #expect(quarters.map { Self.percentages(String($0)).first ?? -1 }.map { $0 / 25 } == [1, 2, 3, 4], "\(quarters)")
        #expect(quarters.last?.hasSuffix("of 80.0 MB (100%), done") == true, "\(quarters)")
        #expect(!log.stderr.contains("\u{1B}"))
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
