import Foundation
import Testing
import TestSupport

/// Every file a command writes at its end (`--digest-file`, `--output-env`, `--lock`, an archive,
/// plugin mode's `DRONE_OUTPUT`) is checked before the first transfer, for every kind of place
/// that cannot take it: exit 2, one line naming the option and the path, the OS's reason in
/// words. The images are read from a registry nothing listens on: a check that came after any
/// traffic would fail on the network instead (exit 1).
@Suite("Output paths are checked before any transfer")
struct OutputPathTests {
    static let nowhere = "127.0.0.1:1"

    /// How a command is given the path, and how its message names it.
    struct Output: Sendable, CustomStringConvertible {
        let description: String
        let name: String
        let arguments: @Sendable (_ path: String) -> [String]
        var environment: @Sendable (_ path: String) -> [String: String] = { _ in [:] }
    }

    static let build = ["build", "--sam-base-image", "\(nowhere)/\(BuildHarness.nodeBase)", "--plugin-image", "\(nowhere)/\(BuildHarness.plugin)",
                        "--version", "1.1.2", "--no-docker-cli", "--no-go-template"]
    static let outputs: [Output] = [
        Output(description: "copy --digest-file", name: "--digest-file", arguments: { ["copy", "--digest-file", $0, "\(nowhere)/a:1", "\(nowhere)/b:1"] }),
        Output(description: "build --output-env", name: "--output-env", arguments: { build + ["--target-repo", "\(nowhere)/t", "--output-env", $0] }),
        Output(description: "build --lock", name: "--lock", arguments: { build + ["--target-repo", "\(nowhere)/t", "--lock", $0] }),
        Output(description: "append --lock", name: "--lock", arguments: { ["append", "--label", "a=b", "--lock", $0, "\(nowhere)/a:1", "\(nowhere)/b:1"] }),
        Output(description: "copy to an archive", name: "docker-archive:", arguments: { ["copy", "\(nowhere)/a:1", "docker-archive:" + $0] }),
        Output(description: "build to an archive", name: "docker-archive:", arguments: { build + ["--target-repo", "docker-archive:" + $0] }),
        Output(description: "append to an archive", name: "docker-archive:", arguments: { ["append", "--label", "a=b", "\(nowhere)/a:1", "docker-archive:" + $0] }),
        Output(description: "plugin mode DRONE_OUTPUT", name: "DRONE_OUTPUT", arguments: { _ in [] }, environment: { path in
            ["PLUGIN_SAM_BASE_IMAGE": "\(nowhere)/\(BuildHarness.nodeBase)", "PLUGIN_PLUGIN_IMAGE": "\(nowhere)/\(BuildHarness.plugin)",
             "PLUGIN_VERSION": "1.1.2", "PLUGIN_TARGET_REPO": "\(nowhere)/t", "PLUGIN_NO_DOCKER_CLI": "true", "PLUGIN_NO_GO_TEMPLATE": "true",
             "DRONE_OUTPUT": path]
        }),
    ]

    /// A place that cannot take a file: the path in a fresh directory D, what the OS says, and
    /// how the command must run (a read-only mount of D/ro in a namespace of its own; as
    /// nobody, since root writes through permission bits).
    struct Kind: Sendable, CustomStringConvertible {
        let description: String
        let path: @Sendable (_ directory: String) throws -> String
        let reason: @Sendable (_ directory: String) -> String
        var runner: Runner = .plain
        enum Runner: Sendable { case plain, readOnlyMount, nobody }
    }

    static let kinds: [Kind] = [
        Kind(description: "a file of /proc", path: { _ in "/proc/version" }, reason: { _ in "is a file of proc, a kernel filesystem: it takes no writes" }),
        Kind(description: "a new file in /proc", path: { _ in "/proc/samforge-out" },
             reason: { _ in "cannot create it in /proc: proc is a kernel filesystem that takes no files" }),
        Kind(description: "a file of /sys", path: { _ in "/sys/kernel/uevent_seqnum" }, reason: { _ in "is a file of sysfs, a kernel filesystem" }),
        Kind(description: "a directory", path: { $0 }, reason: { _ in "is a directory" }),
        Kind(description: "a missing parent", path: { $0 + "/missing/out" }, reason: { "no such directory \($0)/missing" }),
        Kind(description: "a file as parent", path: { directory in
            _ = FileManager.default.createFile(atPath: directory + "/file", contents: Data())
            return directory + "/file/out"
        }, reason: { "\($0)/file is not a directory" }),
        Kind(description: "a dangling symlink", path: { directory in
            try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "/nonexistent/out")
            return directory + "/link"
        }, reason: { _ in "is a symbolic link to /nonexistent/out, which does not exist" }),
        Kind(description: "a new file on a read-only file system", path: { $0 + "/ro/out" }, reason: { "cannot create it in \($0)/ro: read-only file system" },
             runner: .readOnlyMount),
        Kind(description: "a file on a read-only file system", path: { directory in
            _ = FileManager.default.createFile(atPath: directory + "/ro/out", contents: Data("old".utf8))
            return directory + "/ro/out"
        }, reason: { _ in "read-only file system" }, runner: .readOnlyMount),
        Kind(description: "a directory the user may not write", path: { directory in
            try FileManager.default.createDirectory(atPath: directory + "/locked", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o555])
            return directory + "/locked/out"
        }, reason: { "cannot create it in \($0)/locked: permission denied" }, runner: .nobody),
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        let output: Output
        let kind: Kind
        var testDescription: String { "\(output) at \(kind)" }
    }

    static let cases = outputs.flatMap { output in kinds.map { Case(output: output, kind: $0) } }

    @Test(arguments: cases) func refusedBeforeAnyTraffic(_ check: Case) throws {
        let directory = try TemporaryDirectory().path
        try FileManager.default.createDirectory(atPath: directory + "/ro", withIntermediateDirectories: true)
        _ = try Command.run("/bin/chmod", ["755", directory])
        let path = try check.kind.path(directory)
        let command = [Command.samforgePath] + check.output.arguments(path)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PLUGIN_") }
        environment.merge(check.output.environment(path)) { _, new in new }
        let result: CommandResult
        switch check.kind.runner {
        case .plain:
            result = try Command.run(command[0], Array(command.dropFirst()), environment: environment)
        case .readOnlyMount:
            let script = "mount --bind \"$1/ro\" \"$1/ro\" && mount -o remount,bind,ro \"$1/ro\" && shift && exec \"$@\""
            result = try Command.run("/usr/bin/unshare", ["-rm", "/bin/sh", "-c", script, "sh", directory] + command, environment: environment)
        case .nobody:
            environment["HOME"] = directory + "/home-of-nobody"
            result = try Command.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--"] + command,
                                     environment: environment.merging(["XDG_CACHE_HOME": "/tmp"]) { _, new in new })
        }
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        // As the user wrote it: `--lock PATH`, `docker-archive:PATH`.
        let expected = "samforge: error: \(check.output.name)\(check.output.name.hasSuffix(":") ? "" : " ")\(path): "
        #expect(result.errorLine.hasPrefix(expected), "\(result.stderr)")
        let reason = check.kind.reason(directory)
        #expect(result.errorLine.contains(reason), "\(result.stderr)")
        let ascii = result.stderr.unicodeScalars.allSatisfy { $0.isASCII }
        #expect(ascii, "\(result.stderr)")
    }

    /// What the check lets through is written: a new file, an existing one, through a symlink
    /// to an existing file, and /dev/null.
    @Test(.enabled(if: TestWorld.available)) func writablePathsPass() throws {
        let directory = try TemporaryDirectory().path
        _ = FileManager.default.createFile(atPath: directory + "/existing", contents: Data("old".utf8))
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: directory + "/existing")
        for path in [directory + "/new", directory + "/existing", directory + "/link", "/dev/null"] {
            let result = try Command.samforge(["copy", "-q", "--digest-file", path, "\(TestWorld.plain)/\(BuildHarness.pythonBase)",
                                               "oci:\(directory)/layout:1"])
            #expect(result.status == 0, "\(path): \(result.stderr)")
            if path != "/dev/null" {
                #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("sha256:"), "\(path)")
            }
        }
    }
}
