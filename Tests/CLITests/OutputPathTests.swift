import Foundation
import Testing
import TestSupport

/// Every file a command writes at its end (`--digest-file`, `--output-env`, `--lock`, an archive
/// destination) is checked before the first transfer: a bad one exits 2 with the OS's reason in
/// words, and nothing is pushed or tagged.
@Suite("Output paths are checked before any transfer", .enabled(if: TestWorld.available))
struct OutputPathTests {
    var plain: String { TestWorld.plain }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: @Sendable (_ target: String) throws -> [String]
        let message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "copy --digest-file in a missing directory", arguments: { target in
            ["copy", "--digest-file", "/nonexistent/dir/digest", "\(TestWorld.plain)/\(BuildHarness.pythonBase)", target + ":1"]
        }, message: "--digest-file /nonexistent/dir/digest: no such directory /nonexistent/dir"),
        Case(name: "copy --digest-file that is a directory", arguments: { target in
            ["copy", "--digest-file", "/tmp", "\(TestWorld.plain)/\(BuildHarness.pythonBase)", target + ":1"]
        }, message: "--digest-file /tmp: is a directory"),
        Case(name: "build --output-env in a missing directory", arguments: { target in
            try BuildHarness.arguments(target: target, extra: ["--output-env", "/nonexistent/dir/out.env"])
        }, message: "--output-env /nonexistent/dir/out.env: no such directory /nonexistent/dir"),
        Case(name: "build --lock in a missing directory", arguments: { target in
            try BuildHarness.arguments(target: target, extra: ["--lock", "/nonexistent/dir/samforge.lock"])
        }, message: "--lock /nonexistent/dir/samforge.lock: no such directory /nonexistent/dir"),
        Case(name: "append --lock in a file's place", arguments: { target in
            ["append", "--lock", "/etc/hostname/lock", "--label", "a=b", "\(TestWorld.plain)/\(BuildHarness.pythonBase)", target + ":1"]
        }, message: "--lock /etc/hostname/lock: not a directory"),
        Case(name: "copy to an archive in a missing directory", arguments: { _ in
            ["copy", "\(TestWorld.plain)/\(BuildHarness.pythonBase)", "docker-archive:/nonexistent/dir/image.tar"]
        }, message: "docker-archive: /nonexistent/dir/image.tar: no such directory /nonexistent/dir"),
    ]

    @Test(arguments: cases) func aBadOutputPathStopsTheCommandBeforeAnyPush(_ check: Case) throws {
        let target = BuildHarness.newTarget("outpath")
        let result = try Command.samforge(try check.arguments(target), environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.errorLine == "samforge: error: " + check.message, "\(result.stderr)")
        #expect(!result.stderr.contains("The operation could not be completed"))
        #expect(try BuildHarness.hasNoTags(target))
    }

    /// A directory the user may not write into, in the OS's words (run as nobody: root may
    /// write anywhere).
    @Test func theReasonIsTheOSsOwn() throws {
        let directory = try TemporaryDirectory().path
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: directory)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory) }
        let result = try Command.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Command.samforgePath,
                                                          "copy", "--digest-file", directory + "/new", "\(plain)/\(BuildHarness.pythonBase)",
                                                          "oci:/nonexistent-too"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("permission denied"), "\(result.stderr)")
    }
}
