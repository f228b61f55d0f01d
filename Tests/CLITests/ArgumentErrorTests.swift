import Foundation
import OCI
import Testing
import TestSupport

/// Argument errors are one line, `samforge: error: … (hint)`, exit 2, for every command (found
/// from the root help); misspelt commands get the nearest one; the registry options work
/// before the command name too.
@Suite("argument errors")
struct ArgumentErrorTests {
    static func expectOneLineUsageError(_ result: CommandResult, _ fragments: [String], _ context: String) {
        #expect(result.status == 2, "\(context): \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(context): \(result.stdout)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(context): \(result.stderr)")
        #expect(result.stderr.hasPrefix("samforge: error: "), "\(context): \(result.stderr)")
        for fragment in fragments { #expect(result.stderr.contains(fragment), "\(context): \(result.stderr)") }
    }

    struct Misspelt: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var suggestion: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    @Test(arguments: [
        Misspelt(arguments: ["bulid"], suggestion: "did you mean \"samforge build\"?"),
        Misspelt(arguments: ["cpoy", "a", "b"], suggestion: "did you mean \"samforge copy\"?"),
        Misspelt(arguments: ["insp", "x"], suggestion: "did you mean \"samforge inspect\"?"),
        Misspelt(arguments: ["digets", "x"], suggestion: "did you mean \"samforge digest\"?"),
        Misspelt(arguments: ["pipeline", "harnes"], suggestion: "did you mean \"samforge pipeline harness\"?"),
        Misspelt(arguments: ["pipeline", "k8sjob"], suggestion: "did you mean \"samforge pipeline k8s-job\"?"),
        Misspelt(arguments: ["help", "bulid"], suggestion: "did you mean \"samforge build\"?"),
        Misspelt(arguments: ["--verbose", "inspcet", "x"], suggestion: "did you mean \"samforge inspect\"?"),
        Misspelt(arguments: ["registry.example.com/app:1"], suggestion: "samforge takes one of: build, append, copy"),
    ])
    func unknownCommandsSuggestTheNearest(_ case_: Misspelt) throws {
        let result = try Command.samforge(case_.arguments)
        Self.expectOneLineUsageError(result, ["unknown command", case_.suggestion], case_.testDescription)
    }

    /// What each command's dump says about its arguments.
    struct Dump: Decodable {
        struct Command: Decodable { var arguments: [Argument]? }
        struct Argument: Decodable {
            struct Name: Decodable { var kind: String; var name: String }
            var kind: String
            var names: [Name]?
            var isOptional: Bool
            var shouldDisplay: Bool
        }
        var command: Command
    }

    static func dump(_ path: [String]) throws -> Dump {
        let result = try Command.samforge(path + ["--experimental-dump-help"])
        return try JSONDecoder().decode(Dump.self, from: Data(result.stdout.utf8))
    }

    static func leafCommands() throws -> [[String]] {
        let all = try HelpLayoutTests.allCommands()
        return all.filter { path in !all.contains { $0.count == path.count + 1 && Array($0.prefix(path.count)) == path } && !path.isEmpty }
    }

    /// Every command: an unknown option, a nearly right one, a missing argument, one too many.
    @Test func everyCommandsParseErrorsAreOneLine() throws {
        for path in try Self.leafCommands() {
            let name = (["samforge"] + path).joined(separator: " ")
            let arguments = try Self.dump(path).command.arguments ?? []
            let positional = arguments.filter { $0.kind == "positional" && !$0.isOptional }.count
            let placeholders = Array(repeating: "x", count: positional)
            let unknown = try Command.samforge(path + ["--no-such-option"] + placeholders)
            Self.expectOneLineUsageError(unknown, ["unknown option '--no-such-option'", "(see '\(name) --help')"], name)
            // A long option with one letter dropped: the real one is suggested.
            if let long = arguments.lazy.filter(\.shouldDisplay).compactMap({ $0.names?.first { $0.kind == "long" && $0.name.count > 5 }?.name }).first {
                let typo = try Command.samforge(path + ["--" + long.dropLast()] + placeholders)
                Self.expectOneLineUsageError(typo, ["did you mean '--\(long)'?"], name)
            }
            if positional > 0 {
                let missing = try Command.samforge(path)
                Self.expectOneLineUsageError(missing, ["missing expected argument", "(usage: \(name) "], name)
            }
            let extra = try Command.samforge(path + placeholders + ["one-too-many"])
            #expect(extra.status == 2, "\(name): \(extra.stderr)")
            #expect(extra.stderr.split(separator: "\n").count == 1 && extra.stderr.hasPrefix("samforge: error: "), "\(name): \(extra.stderr)")
        }
    }

    /// The registry options reach the command from before its name: an invalid --timeout there
    /// is refused by the command itself; a command without registry access says so.
    @Test func registryOptionsBeforeTheCommandReachIt() throws {
        for path in try Self.leafCommands() {
            let name = (["samforge"] + path).joined(separator: " ")
            let arguments = try Self.dump(path).command.arguments ?? []
            let placeholders = Array(repeating: "x", count: arguments.filter { $0.kind == "positional" && !$0.isOptional }.count)
            let takesRegistryOptions = arguments.contains { $0.names?.contains { $0.name == "timeout" } ?? false }
            let result = try Command.samforge(["--timeout", "0"] + path + placeholders)
            let expected = takesRegistryOptions ? "--timeout takes a positive duration" : "talks to no registry"
            Self.expectOneLineUsageError(result, [expected], name)
        }
    }

    /// `-q` wherever there is a `--quiet` (as docker, crane and skopeo users type it).
    @Test func quietIsAlsoQ() throws {
        var quiet: [String] = []
        for path in try Self.leafCommands() {
            for argument in try Self.dump(path).command.arguments ?? [] where argument.names?.contains(where: { $0.name == "quiet" }) == true {
                quiet.append(path.joined(separator: " "))
                #expect(argument.names?.contains { $0.kind == "short" && $0.name == "q" } == true, "\(path)")
            }
        }
        #expect(Set(quiet).isSuperset(of: ["copy", "append", "build"]))
    }

    @Test func optionsOfACommandBeforeItsNameSayWhereTheyGo() throws {
        let result = try Command.samforge(["--json", "inspect", "x"])
        Self.expectOneLineUsageError(result, ["write it after the command name (samforge inspect --json ...)"], "--json inspect")
        let typo = try Command.samforge(["--verbos", "inspect", "x"])
        Self.expectOneLineUsageError(typo, ["did you mean --verbose?"], "--verbos")
        let noValue = try Command.samforge(["--timeout"])
        Self.expectOneLineUsageError(noValue, ["--timeout needs a value"], "--timeout")
    }

    /// Every option of every command, typed before the command's name (`samforge -q copy a b`,
    /// `samforge -j 4 copy …`): said to go after the name, never taken for a misspelt registry
    /// option (`-q` is one edit from `-h`); an option the command lacks is said to be unknown.
    @Test func everyCommandOptionBeforeTheNameSaysWhereItGoes() throws {
        var checked = 0
        for path in try Self.leafCommands() {
            // One it does not have is unknown to it, not "an option of the command".
            let name = (["samforge"] + path).joined(separator: " ")
            let unknown = try Command.samforge(["--no-such-option"] + path + ["x", "y"])
            Self.expectOneLineUsageError(unknown, ["unknown option '--no-such-option' (see '\(name) --help')"], name)
            // Hidden options are registry ones too (--stall-timeout); `samforge --version` is the root's.
            for argument in try Self.dump(path).command.arguments ?? [] where (argument.kind == "option" || argument.kind == "flag") && argument.shouldDisplay {
                for name in argument.names ?? [] {
                    let option = (name.kind == "long" ? "--" : "-") + name.name
                    guard !["-h", "--help", "--version"].contains(option), !HelpReadmeTests.registryOptions.contains(option) else { continue }
                    let value = argument.kind == "option" ? ["1"] : []
                    let result = try Command.samforge([option] + value + path + ["x", "y"])
                    let written = (["samforge"] + path + [option]).joined(separator: " ")
                    Self.expectOneLineUsageError(result, ["write it after the command name (\(written) ...)"], "\(option) \(path)")
                    #expect(!result.stderr.contains("did you mean"), "\(option) \(path): \(result.stderr)")
                    checked += 1
                }
            }
        }
        #expect(checked > 50)
    }

    @Test func versionAtTheRoot() throws {
        let root = try Command.samforge(["--version"])
        let command = try Command.samforge(["version"])
        #expect(root.status == 0 && root.stdout == command.stdout && !root.stdout.isEmpty, "\(root.stderr)")
    }

    /// The checker behind these tests finds what it should (an orphan, a long line).
    @Test func theLayoutCheckerFindsProblems() {
        let problems = HelpLayoutTests.problems(narrow: "some words here\nit.\n" + String(repeating: "x ", count: 41) + "\n",
                                                wide: "some words here it.\n", width: 80, orphans: true)
        #expect(problems.contains { $0.hasPrefix("orphaned word: it.") })
        #expect(problems.contains { $0.hasPrefix("longer than 80") })
    }
}

@Suite("registry options before the command", .enabled(if: TestWorld.available))
struct GlobalRegistryOptionsTests {
    @Test func verboseAndCAFileBeforeTheCommand() throws {
        let reference = "\(TestWorld.tls)/\(CopyTests.nodeAMD64)"
        let result = try Command.samforge(["--verbose", "--ca-file", TestWorld.caFile, "inspect", "--raw", reference])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("samforge: GET https://\(TestWorld.tls)/v2/"), "\(result.stderr)")
        #expect(Digest.of(Array(result.stdout.utf8)).description == (try CopyKit.fixture(CopyTests.nodeAMD64).digest))
    }

    /// `--insecure`, as crane's: the TLS registry's certificate (our own CA) is not verified.
    @Test func insecureSkipsVerificationForEveryRegistry() throws {
        let reference = "\(TestWorld.tls)/\(CopyTests.nodeAMD64)"
        let refused = try Command.samforge(["inspect", "--raw", reference])
        #expect(refused.status == 1 && refused.stderr.contains("TLS verification failed"), "\(refused.stderr)")
        for arguments in [["--insecure", "inspect", "--raw", reference], ["inspect", "--insecure", "--raw", reference]] {
            let result = try Command.samforge(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(Digest.of(Array(result.stdout.utf8)).description == (try CopyKit.fixture(CopyTests.nodeAMD64).digest))
        }
        // A copy from the TLS registry to another registry: both ends are covered.
        let target = CopyKit.newRepository("insecure") + ":1"
        let copy = try Command.samforge(["--insecure", "copy", "-q", reference, target])
        #expect(copy.status == 0, "\(copy.stderr)")
    }
}
