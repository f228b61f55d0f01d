import Foundation
import Testing
import TestSupport

/// Every error a user can cause is one plain-ASCII line that names the flag, variable or
/// setting involved, never Foundation's own sentence ("The operation could not be completed.
/// You don't have permission.", with its curly apostrophe and no cause), and never a secret.
/// None of these needs a registry: each is refused before any traffic.
@Suite("Error lines: plain ASCII, naming what to fix")
struct ErrorTextTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let arguments: [String]
        var environment: [String: String] = [:]
        var status: Int32 = 2
        let fragments: [String]
        var absent: [String] = []
        var testDescription: String { label }
    }

    static let nowhere = "127.0.0.1:1"
    static let build = ["build", "--sam-base-image", "\(nowhere)/sam/build-nodejs18.x:1.143.0", "--plugin-image", "\(nowhere)/p:1",
                        "--version", "1.1.2", "--no-docker-cli", "--no-go-template"]
    static let scratch: String = (try? TemporaryDirectory().path) ?? "/tmp"

    static let cases: [Case] = [
        Case(label: "an unwritable --cache-dir", arguments: build + ["--target-repo", "\(nowhere)/t", "--cache-dir", "/proc/samforge-cache"],
             fragments: ["--cache-dir /proc/samforge-cache: cannot create cache directory", "no such file or directory", "(give a writable --cache-dir)"]),
        Case(label: "an unwritable cache from HOME", arguments: build + ["--target-repo", "\(nowhere)/t"],
             environment: ["HOME": "/proc/nohome", "XDG_CACHE_HOME": ""],
             fragments: ["the layer cache /proc/nohome/.cache/samforge (from HOME)", "give a writable --cache-dir"]),
        Case(label: "--target-repo with a tag", arguments: build + ["--target-repo", "registry.example.com/team/app:1"],
             fragments: ["--target-repo \"registry.example.com/team/app:1\": give a repository without tag or digest"], absent: ["TARGET_REPO"]),
        Case(label: "TARGET_REPO with a tag", arguments: build, environment: ["TARGET_REPO": "registry.example.com/team/app:1"],
             fragments: ["TARGET_REPO \"registry.example.com/team/app:1\": give a repository without tag"]),
        Case(label: "a bad --version", arguments: build + ["--version", "1/2", "--target-repo", "\(nowhere)/t"],
             fragments: ["--version \"1/2\": it starts the image tag"]),
        Case(label: "a bad VERSION", arguments: Array(build.prefix(5)) + ["--no-docker-cli", "--target-repo", "\(nowhere)/t"],
             environment: ["VERSION": "1/2"], fragments: ["VERSION \"1/2\": it starts the image tag"], absent: ["--version"]),
        Case(label: "a bad SAM_BASE_IMAGE", arguments: ["build", "--plugin-image", "p:1", "--version", "1", "--target-repo", "\(nowhere)/t"],
             environment: ["SAM_BASE_IMAGE": "public.ecr.aws/sam/build-nodejs18.x:latest"],
             fragments: ["SAM_BASE_IMAGE \"public.ecr.aws/sam/build-nodejs18.x:latest\": floating tag"]),
        Case(label: "a bad --plugin-image", arguments: Array(build.prefix(3)) + ["--plugin-image", "Harness/Plugin", "--version", "1", "--target-repo", "\(nowhere)/t"],
             fragments: ["--plugin-image: invalid reference \"Harness/Plugin\""]),
        Case(label: "HTTPS:// in a reference", arguments: ["inspect", "HTTPS://registry.example.com/team/app:1"],
             fragments: ["image references take no URL scheme; write registry.example.com/team/app:1 (registries are reached over HTTPS)"],
             absent: ["plain HTTP", "--insecure-registry"]),
        Case(label: "https:// as a copy source", arguments: ["copy", "https://registry.example.com/a:1", "oci:\(scratch)/x"],
             fragments: ["write registry.example.com/a:1 (registries are reached over HTTPS)"], absent: ["plain HTTP"]),
        Case(label: "http:// in a reference", arguments: ["inspect", "http://registry.example.com/team/app:1"],
             fragments: ["write registry.example.com/team/app:1 (add --insecure-registry HOST for plain HTTP)"]),
        Case(label: "login -p", arguments: ["login", "-u", "ci", "-p", "hunter2", "registry.example.com"],
             fragments: ["-p: samforge login never takes the password on the command line", "--password-stdin"], absent: ["hunter2"]),
        Case(label: "login -pSECRET (not -p -h: the help)", arguments: ["login", "-phunter2", "registry.example.com"],
             fragments: ["-p: samforge login never takes the password on the command line"], absent: ["hunter2", "OVERVIEW"]),
        Case(label: "login --password=SECRET", arguments: ["login", "--password=hunter2", "registry.example.com"],
             fragments: ["--password: samforge login never takes the password"], absent: ["hunter2"]),
        Case(label: "copy --creds", arguments: ["copy", "--creds", "ci:hunter2", "a:1", "b:1"],
             fragments: ["--creds: samforge never takes credentials on the command line", "samforge login REGISTRY", "DOCKER_USERNAME and DOCKER_PASSWORD"],
             absent: ["hunter2"]),
        Case(label: "copy --src-creds=", arguments: ["copy", "--src-creds=ci:hunter2", "a:1", "b:1"], fragments: ["--src-creds: samforge never takes credentials"],
             absent: ["hunter2"]),
        Case(label: "build --dest-creds after the other options", arguments: build + ["--dest-creds", "ci:hunter2"], fragments: ["--dest-creds: samforge never"],
             absent: ["hunter2"]),
        // Before the command name, too: refused by name, the value never echoed.
        Case(label: "-pSECRET before login", arguments: ["-phunter2", "login", "registry.example.com"],
             fragments: ["-p: samforge login never takes the password on the command line"], absent: ["hunter2"]),
        Case(label: "--password=SECRET before copy", arguments: ["--password=hunter2", "copy", "a:1", "b:1"],
             fragments: ["--password: samforge never takes credentials on the command line"], absent: ["hunter2"]),
        Case(label: "--creds before pipeline harness", arguments: ["--creds", "ci:hunter2", "pipeline", "harness"],
             fragments: ["--creds: samforge never takes credentials on the command line"], absent: ["hunter2"]),
        Case(label: "a registry option and no command", arguments: ["--verbose"],
             fragments: ["--verbose: give a command after it (samforge --help lists the commands)"]),
        Case(label: "a matrix file that is a directory", arguments: ["build", "--matrix", scratch, "--plugin-image", "p:1", "--version", "1", "--target-repo", "\(nowhere)/t"],
             fragments: ["--matrix \(scratch): cannot be read (is a directory)"]),
        Case(label: "--matrix-index out of range", arguments: ["build", "--matrix", oneEntry, "--matrix-index", "3", "--plugin-image", "p:1",
                                                           "--version", "1", "--target-repo", "\(nowhere)/t"],
             fragments: ["--matrix-index 3: out of range: the matrix has 1 entry"]),
        Case(label: "JOB_COMPLETION_INDEX out of range", arguments: ["build", "--matrix", oneEntry, "--plugin-image", "p:1",
                                                                 "--version", "1", "--target-repo", "\(nowhere)/t"],
             environment: ["JOB_COMPLETION_INDEX": "4"], fragments: ["JOB_COMPLETION_INDEX 4: out of range"]),
        Case(label: "a bad --platform", arguments: ["inspect", "--platform", "amd64", "\(nowhere)/a:1"], fragments: ["--platform: invalid platform \"amd64\""]),
        Case(label: "a bad build --platform", arguments: build + ["--target-repo", "\(nowhere)/t", "--platform", "amd64"], fragments: ["--platform: invalid platform"]),
        Case(label: "a layout under /proc", arguments: ["copy", "\(nowhere)/a:1", "oci:/proc/samforge-layout"],
             fragments: ["oci:/proc/samforge-layout: cannot create it in /proc: proc is a kernel filesystem that takes no files"]),
        Case(label: "a layout whose index.json is not JSON", arguments: ["inspect", "oci:\(brokenLayout)"], status: 1,
             fragments: ["index.json"]),
    ]

    static let oneEntry: String = {
        let file = scratch + "/one.yaml"
        try? "- \(nowhere)/sam/build-nodejs18.x:1.143.0\n".write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }()

    /// An OCI layout whose index.json is cut short.
    static let brokenLayout: String = {
        let directory = scratch + "/broken-layout"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? "{\"imageLayoutVersion\":\"1.0.0\"}".write(toFile: directory + "/oci-layout", atomically: true, encoding: .utf8)
        try? "{\"schemaVersion\": 2, \"manifests\": [".write(toFile: directory + "/index.json", atomically: true, encoding: .utf8)
        return directory
    }()

    @Test(arguments: cases) func oneASCIILineNamingWhatToFix(_ check: Case) throws {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PLUGIN_") }
        for (key, value) in check.environment { environment[key] = value.isEmpty ? nil : value }
        let result = try Command.run(Command.samforgePath, check.arguments, environment: environment)
        #expect(result.status == check.status, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.isEmpty, "\(result.stdout.prefix(200))")
        let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("samforge: warning: ") }
        #expect(lines.count == 1 && lines[0].hasPrefix("samforge: error: "), "\(result.stderr)")
        let ascii = result.stderr.unicodeScalars.allSatisfy { (0x20..<0x7F).contains($0.value) || $0 == "\n" }
        #expect(ascii, "\(result.stderr)")
        for fragment in check.fragments { #expect(result.stderr.contains(fragment), "\(fragment): \(result.stderr)") }
        for text in check.absent + ["The operation could not be completed", "couldn"] {
            #expect(!result.stderr.contains(text), "\(text): \(result.stderr)")
        }
    }

    /// The class, at its source: no Foundation `localizedDescription` is rendered anywhere in
    /// samforge (describeSystemError gives the OS's words; escapedASCII what Foundation says).
    @Test func noFoundationSentenceReachesAMessage() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 100)
        for file in files {
            let text = try String(contentsOfFile: sources.path + "/" + file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.contains("localizedDescription") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                Issue.record("Sources/\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
    }
}
