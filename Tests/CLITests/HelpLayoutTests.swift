import Foundation
import Testing
import TestSupport

/// Every command's `--help` reads well at 80 columns: no line wider than the terminal, no
/// word left alone on a line by the wrapping, examples never broken mid-argument, ASCII only
/// (generate-manual drops everything else). The commands are found from the root help, so a
/// new command is checked without being listed here.
@Suite("help layout")
struct HelpLayoutTests {
    /// Commands the root help must lead to (at least).
    static let expected = ["build", "append", "copy", "inspect", "diff", "digest", "manifest", "config", "blob", "tags", "login",
                           "logout", "version", "pipeline", "pipeline harness", "pipeline k8s-job"]

    static func help(_ path: [String], columns: Int) throws -> String {
        let result = try Command.samforge(path + ["--help"], environment: ["COLUMNS": String(columns)])
        #expect(result.status == 0, "\(path): \(result.stderr)")
        return result.stdout
    }

    /// The names under SUBCOMMANDS: (two spaces, the name, then its abstract).
    static func subcommands(in help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }.compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
    }

    /// Every command path, from the root down (the root itself is `[]`).
    static func allCommands() throws -> [[String]] {
        var found: [[String]] = [[]]
        var queue: [[String]] = [[]]
        while let path = queue.popLast() {
            for name in subcommands(in: try help(path, columns: 200)) where name != "help" {
                found.append(path + [name])
                queue.append(path + [name])
            }
        }
        return found
    }

    @Test func theRootHelpLeadsToEveryCommand() throws {
        let found = Set(try Self.allCommands().map { $0.joined(separator: " ") })
        #expect(found.isSuperset(of: Self.expected), "\(found.sorted())")
    }

    /// Lines too long, examples broken, non-ASCII text and (with `orphans`) one word the
    /// wrapping left alone: a single word that is not a line of its own where nothing wraps.
    static func problems(narrow: String, wide: String, width: Int, orphans: Bool) -> [String] {
        let wideLines = Set(wide.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        var problems: [String] = []
        for line in narrow.split(separator: "\n") {
            if line.count > width { problems.append("longer than \(width): \(line)") }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if orphans, !trimmed.isEmpty, !trimmed.contains(" "), !wideLines.contains(trimmed) {
                problems.append("orphaned word: \(line)")
            }
            if !line.allSatisfy(\.isASCII) { problems.append("not ASCII: \(line)") }
        }
        // Examples (indented lines of the description, above USAGE:) appear whole.
        let narrowLines = Set(narrow.split(separator: "\n").map(String.init))
        let description = wide.components(separatedBy: "\nUSAGE:").first ?? ""
        for line in description.split(separator: "\n") where line.hasPrefix("  ") && !narrowLines.contains(String(line)) {
            problems.append("example broken at \(width) columns: \(line)")
        }
        // A backslash ends only example lines (a continuation); in prose it is a stray one.
        for line in description.split(separator: "\n") where !line.hasPrefix("  ") && line.hasSuffix("\\") {
            problems.append("stray backslash: \(line)")
        }
        return problems
    }

    /// At 80 columns every rule; wider, nothing may overflow or break an example either.
    @Test func everyHelpFitsEightyColumns() throws {
        for path in try Self.allCommands() {
            let wide = try Self.help(path, columns: 1000)
            for width in [80, 100, 132] {
                let narrow = try Self.help(path, columns: width)
                let problems = Self.problems(narrow: narrow, wide: wide, width: width, orphans: width == 80)
                #expect(problems.isEmpty, "samforge \(path.joined(separator: " ")) --help at \(width) columns:\n\(problems.joined(separator: "\n"))")
            }
        }
    }

    /// On a real terminal of 80 columns (a pty from script(1), COLUMNS unset), the help is the
    /// same as with COLUMNS=80.
    @Test func onATerminalOfEightyColumns() throws {
        for path in try Self.allCommands() {
            let command = "stty cols 80 rows 40; exec " + ([Command.samforgePath] + path + ["--help"]).map { "'\($0)'" }.joined(separator: " ")
            var environment = ProcessInfo.processInfo.environment
            environment["COLUMNS"] = nil
            environment["LINES"] = nil
            let result = try Command.run("/usr/bin/script", ["-qefc", command, "/dev/null"], environment: environment)
            #expect(result.status == 0, "\(path): \(result.stdout)")
            let screen = result.stdout.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(screen == (try Self.help(path, columns: 80)), "samforge \(path.joined(separator: " ")) --help on a pty")
        }
    }

    /// `swift package generate-manual` renders the same help texts as mdoc: no mandoc or groff
    /// warning. scripts/test builds the generator (`swift build --product generate-manual`).
    @Test func theManPageHasNoWarnings() throws {
        let generator = URL(fileURLWithPath: Command.samforgePath).deletingLastPathComponent().appendingPathComponent("generate-manual").path
        guard FileManager.default.isExecutableFile(atPath: generator) else {
            #expect(!TestWorld.required, "\(generator) is missing: scripts/test builds it with swift build --product generate-manual")
            return
        }
        let directory = try TemporaryDirectory().path
        let generated = try Command.run(generator, [Command.samforgePath, "--date", "2026-01-01", "-o", directory])
        try #require(generated.status == 0, "\(generated.stderr)")
        let page = directory + "/samforge.1"
        let text = try String(contentsOfFile: page, encoding: .utf8)
        for name in Self.expected.map({ $0.split(separator: " ").last.map(String.init) ?? $0 }) {
            #expect(text.contains(".It Em \(name)"), "\(name) is not in the man page")
        }
        let mandoc = try Command.run("/usr/bin/mandoc", ["-T", "lint", "-W", "warning", page])
        #expect(mandoc.stdout.isEmpty && mandoc.stderr.isEmpty, "\(mandoc.stdout)\(mandoc.stderr)")
        let groff = try Command.run("/usr/bin/groff", ["-mandoc", "-ww", "-z", page])
        #expect(groff.stderr.isEmpty, "\(groff.stderr)")
    }
}
