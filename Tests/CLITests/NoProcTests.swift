import Foundation
import Testing
import TestSupport

/// samforge and /proc, in a chroot holding the binary (the release one when scripts/test
/// installed it), exactly the libraries ldd names and a CA bundle. Swift's CommandLine reads
/// /proc/self/cmdline on Linux: samforge takes its arguments from glibc instead (CSystem's
/// .init_array constructor). But Swift's concurrency runs on libdispatch's thread pool, whose
/// monitor reads /proc/TID/stat every second and aborts the process (SIGILL, no message) when
/// it cannot, at any moment: so without /proc every command stops first with one line that
/// names it (its arguments read without /proc), never a crash, never the root help; with
/// /proc mounted (as every container runtime does) each command does what it was given.
@Suite("samforge without /proc", .enabled(if: TestWorld.available))
struct NoProcTests {
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
            // Through symlinks: the chroot gets the files themselves. Copied by cp, not by this
            // process: a file it held open for writing would be inherited by the children other
            // tests spawn meanwhile, and exec of /samforge would fail with ETXTBSY (seen in full runs).
            let copied = try Command.run("/bin/cp", [URL(fileURLWithPath: path).resolvingSymlinksInPath().path, copy])
            try #require(copied.status == 0, "\(copied.stderr)")
        }
        // /proc is an empty directory: mounted only where a test mounts it.
        for directory in ["/tmp", "/proc", "/etc/ssl/certs"] {
            try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
        }
        // The CA bundle, as samforge's own image has it (libcurl refuses HTTPS without one).
        try FileManager.default.copyItem(atPath: "/etc/ssl/certs/ca-certificates.crt", toPath: root + "/etc/ssl/certs/ca-certificates.crt")
        return root
    }

    /// In the chroot as an unprivileged user namespace's root; `proc`: in a mount and PID
    /// namespace of its own with /proc mounted there.
    static func run(_ arguments: [String], proc: Bool) throws -> CommandResult {
        let root = try Self.root.get()
        let namespaces = proc ? ["-r", "--mount", "--pid", "--fork", "--mount-proc=\(root)/proc"] : ["-r"]
        return try Command.run("/usr/bin/unshare", namespaces + ["/usr/sbin/chroot", root, "/samforge"] + arguments,
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

    /// Without /proc: the one line, naming the command asked for, every time (twelve runs at
    /// once each: libdispatch's abort was a race), and never the root help.
    @Test(arguments: cases) func withoutProcEveryCommandStopsWithOneLine(_ check: Case) async throws {
        let command = check.arguments.first { !$0.hasPrefix("-") }.map { " " + $0 } ?? ""
        let results = try await withThrowingTaskGroup(of: CommandResult.self) { group in
            for _ in 0..<12 { group.addTask { try Self.run(check.arguments, proc: false) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results {
            #expect(result.status == 1, "\(result.status): \(result.stdout)\(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == "samforge: error: samforge\(command) needs /proc, which is not mounted here: the Swift runtime's thread pool (libdispatch) reads /proc/TID/stat and aborts without it; mount it (mount -t proc proc /proc) or run where the container runtime provides it\n",
                    "\(result.stderr)")
        }
    }

    /// With /proc mounted in the same chroot: each command does what its arguments say.
    @Test(arguments: cases) func withProcTheCommandIsTheOneGiven(_ check: Case) throws {
        let result = try Self.run(check.arguments, proc: true)
        #expect(result.status == check.status, "\(result.stdout)\(result.stderr)")
        #expect((result.stdout + result.stderr).hasPrefix(check.output), "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("USAGE: samforge [<registry options>] <command>"), "the root help: \(result.stdout)")
    }

    /// A copy from the registry into a layout in the chroot: the arguments name both.
    @Test func withProcACopyWritesWhereItsArgumentsSay() throws {
        let root = try Self.root.get()
        let result = try Self.run(["copy", "-q", "\(TestWorld.plain)/\(BuildHarness.pythonBase)", "oci:/tmp/layout:1"], proc: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lastLine.hasPrefix("oci:/tmp/layout:1@sha256:"), "\(result.stdout)")
        #expect(try ImageValidation.problem("oci:\(root)/tmp/layout:1") == nil)
    }
}
