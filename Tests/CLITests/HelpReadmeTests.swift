import Foundation
import Testing
import TestSupport

/// `--help` and the README say the same: every command the root help lists has a README
/// section that names each of its options; a README synopsis (`samforge copy SRC DST [...]`)
/// lists exactly the options the help lists, and none it does not; the usage lines show every
/// way to give a command's main input. The commands come from the root help, so a new command
/// or option without its README text fails here.
@Suite("help and README agree")
struct HelpReadmeTests {
    static let readme: String = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }()

    /// The registry options, documented once for every command (their own section).
    static let registryOptions: Set<String> = ["--insecure", "--insecure-registry", "--ca-file", "--timeout", "--retry-times",
                                               "--max-requests-per-second", "--verbose"]

    /// The README section of each command: the heading that introduces it.
    static let headings: [String: String] = [
        "build": "### `samforge build`", "append": "### `samforge append", "copy": "### `samforge copy",
        "inspect": "### `samforge inspect", "diff": "### `samforge diff", "digest": "### `samforge digest|manifest|config",
        "manifest": "### `samforge digest|manifest|config", "config": "### `samforge digest|manifest|config",
        "blob": "### `samforge blob", "tags": "### `samforge tags", "login": "### `samforge login", "logout": "### `samforge login",
        "pipeline harness": "### Run it in Harness", "pipeline k8s-job": "### Run it on Kubernetes", "pipeline": "### Run it in Harness",
        "version": "## Commands", "sign": "### Signing:", "verify": "### Signing:", "generate-key-pair": "### Signing:",
    ]

    /// From `heading` to the next heading of the same or a higher level (outside code blocks,
    /// where `# comment` lines are no headings).
    static func section(_ heading: String) -> String? {
        let level = heading.prefix { $0 == "#" }.count
        var lines: [Substring] = [], inside = false, fenced = false
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { fenced.toggle() }
            let hashes = line.prefix { $0 == "#" }.count
            let isHeading = !fenced && hashes > 0 && line.dropFirst(hashes).first == " "
            if isHeading, inside, hashes <= level { break }
            if isHeading, line.hasPrefix(heading) { inside = true }
            if inside { lines.append(line) }
        }
        return inside ? lines.joined(separator: "\n") : nil
    }

    /// `--name` (with its `-x` short form when it has one) of every option the help lists.
    static func options(_ help: String) -> [(long: String, short: String?)] {
        help.split(separator: "\n").compactMap { line in
            guard let match = line.firstMatch(of: /^  (?:(-[a-zA-Z]), )?(--[a-z0-9-]+)/) else { return nil }
            return (String(match.2), match.1.map(String.init))
        }.filter { $0.long != "--help" }
    }

    static func commands() throws -> [[String]] { try HelpLayoutTests.allCommands().filter { !$0.isEmpty } }

    @Test func everyCommandHasASectionNamingEachOption() throws {
        let commands = try Self.commands()
        #expect(commands.count >= HelpLayoutTests.expected.count)
        let registrySection = try #require(Self.section("### Registry access"))
        for command in commands {
            let name = command.joined(separator: " ")
            let heading = try #require(Self.headings[name], "\(name): no README section is known for it; add one and name it here")
            let section = try #require(Self.section(heading), "\(name): README has no \(heading)")
            for option in Self.options(try HelpLayoutTests.help(command, columns: 200)) {
                let documented = Self.registryOptions.contains(option.long) ? registrySection : section
                let shortForms = option.short.map { short in ["`\(short) ", "`\(short)`", "[\(short) ", "[\(short)]", "[\(short)|"] } ?? []
                #expect(documented.contains(option.long) || shortForms.contains { documented.contains($0) },
                        "\(name) \(option.long): not in the README's \(heading) section")
            }
        }
    }

    /// Synopsis blocks: a plain code block of `samforge NAME …` lines (build, append and copy
    /// have one each, the signing commands share one); continuation lines are indented.
    static func synopses() -> [String] {
        Self.readme.matches(of: /\n```\n(samforge [^`]*?)```/).flatMap { match in
            String(match.output.1).split(separator: "\n").reduce(into: [String]()) { segments, line in
                if line.hasPrefix("samforge ") || segments.isEmpty { segments.append(String(line)) } else { segments[segments.count - 1] += "\n" + line }
            }
        }
    }

    @Test func synopsesListExactlyTheHelpsOptions() throws {
        let blocks = Self.synopses()
        #expect(blocks.count >= 6, "\(blocks.count) synopses")
        for block in blocks {
            let name = try #require(block.split(separator: " ").dropFirst().first.map(String.init))
            let help = try HelpLayoutTests.help([name], columns: 200)
            let listed = Set(Self.options(help).map(\.long))
            let written = Set(block.matches(of: /--[a-z0-9-]+/).map { String($0.output) })
            #expect(written.subtracting(listed).isEmpty, "\(name): the synopsis names \(written.subtracting(listed).sorted()), which --help does not list")
            #expect(listed.subtracting(written).isEmpty, "\(name): the synopsis lacks \(listed.subtracting(written).sorted())")
        }
    }

    /// The usage line shows every way to give the main input (build: the bases, or a matrix),
    /// and the root help shows --version, as the README's Commands section says.
    @Test func usageLinesShowEveryForm() throws {
        let build = try HelpLayoutTests.help(["build"], columns: 200)
        let usage = try #require(build.split(separator: "\n").first { $0.hasPrefix("USAGE:") })
        #expect(usage.contains("--sam-base-image") && usage.contains("--matrix"), "\(usage)")
        let root = try HelpLayoutTests.help([], columns: 200)
        #expect(root.contains("samforge --version"), "\(root)")
        #expect(Self.readme.contains("`samforge --version`"))
        let version = try Command.samforge(["--version"])
        let command = try Command.samforge(["version"])
        #expect(version.status == 0 && version.stdout == command.stdout)
    }

    /// The README's Plugin step is what `pipeline harness --step plugin` prints for it, line for
    /// line (the step's lines, taken out of the pipeline at its own indentation).
    @Test func theReadmesPluginStepIsTheGeneratorsOutput() throws {
        let block = try #require(Self.readme.firstMatch(of: /```yaml\n(- step:\n    type: Plugin\n[^`]*?)```/)?.1, "README: no Plugin step block")
        let expected = block.split(separator: "\n").map(String.init)
        let base = try #require(expected.first { $0.hasPrefix("          - public.ecr.aws/") }).trimmingCharacters(in: .whitespaces).dropFirst(2)
        let printed = try Command.samforge(["pipeline", "harness", "--step", "plugin", "--sam-base-image", String(base)])
        #expect(printed.status == 0, "\(printed.stderr)")
        let lines = printed.stdout.split(separator: "\n").map(String.init)
        let start = try #require(lines.indices.dropLast().first { lines[$0].hasSuffix("- step:") && lines[$0 + 1].hasSuffix(" type: Plugin") })
        let indent = lines[start].prefix { $0 == " " }.count
        let step = lines[start...].prefix { $0.prefix(indent).allSatisfy { $0 == " " } && ($0.count > indent || $0.isEmpty) }
            .prefix(expected.count).map { String($0.dropFirst(indent)) }
        #expect(step == expected, "README's Plugin step differs from the generator's:\n\(step.joined(separator: "\n"))")
    }
}
