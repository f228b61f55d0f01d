import Foundation
import Testing
import TestSupport

/// samforge without /proc (a bare chroot, some debug containers): Swift's CommandLine reads
/// /proc/self/cmdline on Linux, so samforge would see no arguments and print the root help for
/// any command. It takes them from glibc instead (CSystem's .init_array constructor). Run in a
/// chroot that holds the binary, exactly the libraries ldd names and a CA bundle, and no /proc.
@Suite("samforge runs without /proc", .enabled(if: TestWorld.available))
struct NoProcTests {
    /// The release binary scripts/test installs when there is one (static Swift standard
    /// library, as users run it), else the one the tests run.
    static var binary: String {
        let release = (ProcessInfo.processInfo.environment["SAMFORGE_TEST_RELEASE_PREFIX"] ?? "") + "/bin/samforge"
        return FileManager.default.isExecutableFile(atPath: release) ? release : Command.samforgePath
    }

    static let root: Result<String, Error> = Result {
        let root = try TemporaryDirectory().path + "/root"
        let libraries = try Command.run("/usr/bin/ldd", [binary])
        try #require(libraries.status == 0, "\(libraries.stderr)")
        let paths = libraries.stdout.split(separator: "\n").compactMap { $0.firstMatch(of: /(\/\S+)/).map { String($0.1) } }
        for path in [binary] + paths {
            let copy = root + (path == binary ? "/samforge" : path)
            try FileManager.default.createDirectory(atPath: (copy as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // Through symlinks: the chroot gets the files themselves.
            try FileManager.default.copyItem(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path, toPath: copy)
        }
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        // The CA bundle, as samforge's own image has it (libcurl refuses HTTPS without one).
        let bundle = "/etc/ssl/certs/ca-certificates.crt"
        try FileManager.default.createDirectory(atPath: root + "/etc/ssl/certs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: bundle, toPath: root + bundle)
        return root
    }

    static func run(_ arguments: [String]) throws -> CommandResult {
        let root = try Self.root.get()
        return try Command.run("/usr/bin/unshare", ["-r", "/usr/sbin/chroot", root, "/samforge"] + arguments,
                               environment: ["PATH": "/usr/bin:/bin", "HOME": "/tmp"])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let status: Int32
        let output: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let cases: [Case] = [
        .init(arguments: ["version"], status: 0, output: "0.1.0\n"),
        .init(arguments: ["--version"], status: 0, output: "0.1.0\n"),
        .init(arguments: ["digest", "--help"], status: 0, output: "OVERVIEW: Print the digest of what a location names."),
        .init(arguments: ["bulid"], status: 2, output: "samforge: error: unknown command \"bulid\"; did you mean \"samforge build\"?"),
        .init(arguments: ["inspect"], status: 2, output: "samforge: error: missing expected argument '<location>'"),
        .init(arguments: ["digest", "\(TestWorld.plain)/\(BuildHarness.pythonBase)"], status: 0, output: "sha256:"),
    ]

    @Test(arguments: cases) func theCommandIsTheOneGiven(_ check: Case) throws {
        let root = try Self.root.get()
        #expect(!FileManager.default.fileExists(atPath: root + "/proc"), "the chroot has no /proc")
        let result = try Self.run(check.arguments)
        #expect(result.status == check.status, "\(result.stdout)\(result.stderr)")
        #expect((result.stdout + result.stderr).hasPrefix(check.output), "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("USAGE: samforge [<registry options>] <command>"), "the root help: \(result.stdout)")
    }

    /// A copy from the registry into a layout in the chroot: the arguments name both.
    @Test func aCopyWritesWhereItsArgumentsSay() throws {
        let root = try Self.root.get()
        let result = try Self.run(["copy", "-q", "\(TestWorld.plain)/\(BuildHarness.pythonBase)", "oci:/tmp/layout:1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lastLine.hasPrefix("oci:/tmp/layout:1@sha256:"), "\(result.stdout)")
        #expect(try ImageValidation.problem("oci:\(root)/tmp/layout:1") == nil)
    }
}
