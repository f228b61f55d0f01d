import Foundation
import Testing
import TestSupport

/// `samforge append`: a local file and a tree from another image as one new layer, config
/// changes, the base untouched; checked with skopeo, python's tarfile, umoci and a run.
@Suite("samforge append", .enabled(if: TestWorld.available))
struct AppendTests {
    var plain: String { TestWorld.plain }

    static func script(_ text: String) throws -> String {
        let path = try TemporaryDirectory().path + "/hello"
        try "#!/bin/sh\n\(text)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }

    func arguments(_ hello: String, target: String) -> [String] {
        ["append", "-q", "--file", "\(hello):/usr/local/bin/hello:0755",
         "--copy-from", "\(plain)/\(BuildHarness.plugin):/opt/harness/scripts:/opt/tools",
         "--env", "GREETING=world", "--label", "team=platform", "--workdir", "/opt/tools",
         "--entrypoint", #"["/usr/local/bin/hello"]"#,
         "\(plain)/\(BuildHarness.nodeBase)", target]
    }

    @Test func theImageGetsTheFilesAndConfigAndRuns() throws {
        let hello = try Self.script(#"echo "hello from append: $GREETING in $(pwd)"; ls /opt/tools"#)
        let target = BuildHarness.newTarget("append") + ":1"
        let result = try Command.samforge(arguments(hello, target: target), environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.lastLine.hasPrefix("\(target)@sha256:"))

        let config = try #require(BuildHarness.config(target)["config"] as? [String: Any])
        #expect((config["Env"] as? [String])?.last == "GREETING=world")
        #expect(config["Entrypoint"] as? [String] == ["/usr/local/bin/hello"])
        #expect(config["Cmd"] == nil)
        #expect(config["WorkingDir"] as? String == "/opt/tools")
        #expect((config["Labels"] as? [String: String])?["team"] == "platform")

        // Base layers kept, one new layer: the file with the mode asked for, the plugin image's
        // merged scripts tree (later layer wins, whiteouts honoured), all root-owned.
        let base = try #require(TestWorld.fixtures[BuildHarness.nodeBase]?.layers)
        let layers = BuildHarness.layerDigests(try BuildHarness.rawManifest(target))
        #expect(Array(layers.dropLast()) == base)
        let listing = try BuildHarness.tarListing(try BuildHarness.downloadBlob(try #require(layers.last), repository: String(target.dropLast(2))))
        #expect(listing["usr/local/bin/hello"]?.mode == 0o755)
        #expect(listing["opt/tools/sam-plugin.sh"]?.content?.contains("sam-plugin.sh v2") == true)
        #expect(listing["opt/tools/old.sh"] == nil)
        #expect(listing.values.allSatisfy { $0.uid == 0 && $0.gid == 0 && $0.mtime == Int(BuildHarness.epoch) })

        let directory = try TemporaryDirectory().path
        let copy = try Command.run("skopeo", ["copy", "-q", "--src-tls-verify=false", "docker://" + target, "oci:\(directory)/layout:app"])
        try #require(copy.status == 0, "skopeo copy: \(copy.stderr)")
        let unpack = try Command.run("umoci", ["unpack", "--rootless", "--image", "\(directory)/layout:app", "\(directory)/bundle"])
        try #require(unpack.status == 0, "umoci unpack: \(unpack.stderr)")
        let run = try Command.run("/usr/bin/env", ["-i", "GREETING=world", "PATH=/bin:/usr/bin", "/usr/bin/unshare", "-r", "/usr/sbin/chroot",
                                                   "\(directory)/bundle/rootfs", "/bin/sh", "-c", "cd /opt/tools && /usr/local/bin/hello"])
        try #require(run.status == 0, "run: \(run.stderr)")
        #expect(run.stdout.hasPrefix("hello from append: world in /opt/tools\n"))
        #expect(run.stdout.contains("sam-plugin.sh"))
    }

    /// A file given through a symlink keeps its target's mode (a link's own is 0777).
    @Test func aSymlinkedFileKeepsItsTargetsMode() throws {
        let hello = try Self.script("echo linked")
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: hello)
        let link = hello + "-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: hello)
        let target = BuildHarness.newTarget("append-link") + ":1"
        let result = try Command.samforge(["append", "-q", "--file", "\(link):/usr/local/bin/linked", "\(plain)/\(BuildHarness.nodeBase)", target])
        try #require(result.status == 0, "\(result.stderr)")
        let layers = BuildHarness.layerDigests(try BuildHarness.rawManifest(target))
        let listing = try BuildHarness.tarListing(try BuildHarness.downloadBlob(try #require(layers.last), repository: String(target.dropLast(2))))
        #expect(listing["usr/local/bin/linked"]?.mode == 0o750)
        #expect(listing["usr/local/bin/linked"]?.type == "file")
    }

    @Test func sameInputsSameDigest() throws {
        let hello = try Self.script("echo same")
        let first = try Command.samforge(arguments(hello, target: BuildHarness.newTarget("append-a") + ":1"), environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        let second = try Command.samforge(arguments(hello, target: BuildHarness.newTarget("append-b") + ":1"), environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        try #require(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        #expect(first.lastLine.split(separator: "@").last == second.lastLine.split(separator: "@").last)
    }

    @Test(arguments: [
        (["--file", "/nonexistent/hello:/usr/bin/hello"], "/nonexistent/hello: no such readable file"),
        (["--file", "/etc/hostname:relative/dest"], "expected SRC:/DEST[:MODE] (SRC a file, a directory or an http(s) URL; DEST absolute)"),
        (["--file", "/etc/hostname:/etc/h:0999"], "mode \"0999\" is not octal"),
        (["--copy-from", "localhost:1/plugin:1.0"], "expected IMAGE:/SRC[:/DEST]"),
        (["--env", "=x"], "--env =x: expected KEY=VALUE"),
        (["--entrypoint", "[1,2]"], "not a JSON array of strings"),
    ])
    func badInputsExit2BeforeAnyTraffic(extra: [String], message: String) throws {
        let result = try Command.samforge(["append"] + extra + ["localhost:1/base:1", "localhost:1/target:1"])
        #expect(result.status == 2)
        #expect(result.errorLine.contains(message), "\(result.stderr)")
    }

    @Test func aMissingPathInTheOtherImageIsNamed() throws {
        let target = BuildHarness.newTarget("append-missing")
        let result = try Command.samforge(["append", "-q", "--copy-from", "\(plain)/\(BuildHarness.plugin):/opt/nothing-here",
                                           "\(plain)/\(BuildHarness.nodeBase)", target + ":1"])
        #expect(result.status == 1)
        #expect(result.errorLine.contains("image \(plain)/\(BuildHarness.plugin) has no /opt/nothing-here"), "\(result.stderr)")
        #expect(try BuildHarness.hasNoTags(target))
    }
}
