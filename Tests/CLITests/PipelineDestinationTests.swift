import Foundation
import Testing
import TestSupport

/// `build` and `append` write through the same engine as `copy`: to a registry, an OCI layout
/// or a docker archive, the same inputs give the same image (the same digest), and a base may
/// be any location, an OCI layout mirror of a SAM base included.
@Suite("One image pipeline: any base, any destination", .enabled(if: TestWorld.available))
struct PipelineDestinationTests {
    var plain: String { TestWorld.plain }
    static let primaryTag = "1.1.2-python3.12-1.143.0-linux-amd64"

    func build(base: String = BuildHarness.pythonBase, target: String, extra: [String] = []) throws -> CommandResult {
        var arguments = try BuildHarness.arguments(base: base, target: target)
        if base.hasPrefix("oci:") { arguments[2] = base }
        let result = try Command.samforge(arguments + extra, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        try #require(result.status == 0, "\(result.stderr)")
        return result
    }

    static func digest(_ line: String) -> String { String(line.split(separator: "@").last ?? "") }

    @Test func buildGivesTheSameImageInARegistryALayoutAndAnArchive() throws {
        let directory = try TemporaryDirectory().path
        let registry = try build(target: BuildHarness.newTarget("dest"))
        let layout = try build(target: "oci:\(directory)/layout")
        let archive = try build(target: "docker-archive:\(directory)/image.tar:example.test/team/plugin", extra: ["--timestamp-tag"])
        let digest = Self.digest(registry.lastLine)
        #expect(Self.digest(layout.lastLine) == digest)
        #expect(Self.digest(archive.lastLine) == digest)
        #expect(layout.lastLine == "oci:\(directory)/layout:\(Self.primaryTag)@\(digest)")
        #expect(archive.lastLine == "docker-archive:\(directory)/image.tar:example.test/team/plugin:\(Self.primaryTag)@\(digest)")

        // The layout names the image by its computed tag; umoci unpacks it and finds the plugin.
        let index = try CopyKit.json(try String(contentsOfFile: directory + "/layout/index.json", encoding: .utf8))
        let entry = try #require((index["manifests"] as? [[String: Any]])?.first { $0["artifactType"] == nil })
        #expect((entry["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == Self.primaryTag)
        _ = try CopyKit.shell("umoci unpack --rootless --image \"$1\" \"$2\"", ["\(directory)/layout:\(Self.primaryTag)", directory + "/bundle"])
        #expect(FileManager.default.isExecutableFile(atPath: directory + "/bundle/rootfs/opt/harness/scripts/sam-plugin.sh"))

        // The archive's RepoTags are the computed names; skopeo reads the image back.
        let manifest = try CopyKit.shell("tar -xOf \"$1\" manifest.json", [directory + "/image.tar"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(manifest.utf8)) as? [[String: Any]])
        let repoTags = try #require(entries.first?["RepoTags"] as? [String])
        #expect(repoTags.first == "example.test/team/plugin:\(Self.primaryTag)")
        #expect(repoTags.count == 2 && repoTags[1].hasPrefix("example.test/team/plugin:\(Self.primaryTag)-"))
        let inspected = try CopyKit.skopeoInspect("docker-archive:\(directory)/image.tar")
        #expect((inspected["Layers"] as? [String])?.count == (TestWorld.fixtures[BuildHarness.pythonBase]?.layers?.count ?? 0) + 2)
    }

    /// A mirror made with `samforge copy` into a layout named like the official repository:
    /// the SAM rules read the directory's last component and the tag, and the image is the
    /// one the registry base gives.
    @Test func buildOnALayoutMirrorOfTheBaseGivesTheRegistryBuildsDigest() throws {
        let directory = try TemporaryDirectory().path + "/mirror/build-nodejs18.x"
        let tag = "1.143.0-20250502200316-x86_64"
        try CopyKit.succeed(["copy", "-q", "\(plain)/\(BuildHarness.nodeBase)", "oci:\(directory):\(tag)"])
        let fromLayout = try build(base: "oci:\(directory):\(tag)", target: BuildHarness.newTarget("from-layout"))
        let fromRegistry = try build(base: BuildHarness.nodeBase, target: BuildHarness.newTarget("from-registry"))
        #expect(Self.digest(fromLayout.lastLine) == Self.digest(fromRegistry.lastLine))
        #expect(fromLayout.lastLine.contains(":1.1.2-nodejs18.x-1.143.0-linux-amd64@"))
    }

    @Test func aLayoutBaseWithoutTheSAMNameIsRefusedBeforeAnyTraffic() throws {
        let result = try Command.samforge(try BuildHarness.arguments(target: BuildHarness.newTarget("refused")).map {
            $0 == "\(plain)/\(BuildHarness.nodeBase)" ? "oci:/tmp/layout:1.143.0-20250502200316-x86_64" : $0
        })
        #expect(result.status == 2)
        #expect(result.errorLine.contains("build-RUNTIME"), "\(result.stderr)")
    }

    /// `append` from a layout to a layout to an archive: every hop the same digest (the bytes
    /// are the same image), as `copy` keeps them.
    @Test func appendReadsAndWritesAnyLocation() throws {
        let directory = try TemporaryDirectory().path
        let file = directory + "/note.txt"
        try "note\n".write(toFile: file, atomically: true, encoding: .utf8)
        try CopyKit.succeed(["copy", "-q", "\(plain)/\(BuildHarness.pythonBase)", "oci:\(directory)/base:1"])
        let arguments = ["append", "-q", "--file", "\(file):/opt/note.txt:0644"]
        let toLayout = try CopyKit.succeed(arguments + ["oci:\(directory)/base:1", "oci:\(directory)/out:example.test/app:2"])
        let toArchive = try CopyKit.succeed(arguments + ["oci:\(directory)/base:1", "docker-archive:\(directory)/out.tar:example.test/app:2"])
        let toRegistry = try CopyKit.succeed(arguments + ["oci:\(directory)/base:1", BuildHarness.newTarget("append-any") + ":2"])
        let digest = Self.digest(toRegistry.lastLine)
        #expect(Self.digest(toLayout.lastLine) == digest && Self.digest(toArchive.lastLine) == digest)
        // A full reference as the layout's name, as skopeo and podman write it: they read it back.
        let raw = try CopyKit.rawDigest("oci:\(directory)/out:example.test/app:2")
        #expect(raw == digest)
    }
}
