import Foundation
import Testing
import TestSupport

/// The same inputs give the same image digest wherever they are read from: the fixtures'
/// base, plugin and docker CLI images from their registry, from `oci:` layout copies and from
/// `docker-archive:` copies (an air-gapped build), and mixed. The history records each input
/// image by its image ID (config digest), the same bytes in every location; a location, and
/// a manifest digest (a docker archive keeps no manifest), would not be.
@Suite("Digests do not depend on where the inputs were read from", .enabled(if: TestWorld.available))
struct LocationIndependenceTests {
    static let host = TestWorld.plain
    static let baseName = "public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64"

    /// Each input in the three kinds of location (copied there by samforge).
    struct Inputs {
        var base: String, plugin: String, dockerCLI: String
    }

    static let copies: Result<(registry: Inputs, layout: Inputs, archive: Inputs), Error> = Result {
        let directory = try TemporaryDirectory().path
        let registry = Inputs(base: "\(host)/\(BuildHarness.nodeBase)", plugin: "\(host)/\(BuildHarness.plugin)",
                              dockerCLI: "\(host)/\(BuildHarness.dockerCLI)")
        // The SAM rules read a layout's directory name and tag, an archive's saved name.
        let layout = Inputs(base: "oci:\(directory)/mirror/build-nodejs18.x:1.143.0-20250502200316-x86_64",
                            plugin: "oci:\(directory)/plugin:1.1.2-beta-base-image", dockerCLI: "oci:\(directory)/docker:26.0.1-cli")
        let archive = Inputs(base: "docker-archive:\(directory)/base.tar:\(baseName)",
                             plugin: "docker-archive:\(directory)/plugin.tar:harness/aws-sam-plugin:1.1.2-beta-base-image",
                             dockerCLI: "docker-archive:\(directory)/docker.tar:library/docker:26.0.1-cli")
        for (from, to) in [(registry.base, layout.base), (registry.plugin, layout.plugin), (registry.dockerCLI, layout.dockerCLI),
                           (registry.base, archive.base), (registry.plugin, archive.plugin), (registry.dockerCLI, archive.dockerCLI)] {
            try CopyKit.succeed(["copy", "-q", from, to])
        }
        return (registry, layout, archive)
    }

    static func build(_ inputs: Inputs) throws -> CommandResult {
        let result = try Command.samforge(["build", "-q", "--sam-base-image", inputs.base, "--plugin-image", inputs.plugin,
                                           "--docker-cli-image", inputs.dockerCLI, "--go-template", TestWorld.goTemplateURL,
                                           "--version", "1.1.2", "--target-repo", BuildHarness.newTarget("located"),
                                           "--cache-dir", try TemporaryDirectory().path + "/cache"],
                                          environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        try #require(result.status == 0, "\(inputs): \(result.stderr)")
        return result
    }

    static func digest(_ result: CommandResult) -> String { String(result.lastLine.split(separator: "@").last ?? "") }

    @Test func buildGivesOneDigestFromEveryLocation() throws {
        let (registry, layout, archive) = try Self.copies.get()
        let mixed = Inputs(base: layout.base, plugin: archive.plugin, dockerCLI: registry.dockerCLI)
        let mixedOther = Inputs(base: archive.base, plugin: registry.plugin, dockerCLI: layout.dockerCLI)
        let results = try [registry, layout, archive, mixed, mixedOther].map(Self.build)
        let digests = results.map(Self.digest)
        #expect(Set(digests).count == 1 && digests[0].hasPrefix("sha256:"), "\(digests)")

        // The history names the plugin and docker CLI images by image ID, and no location.
        let reference = try BuildHarness.taggedReference(results[0])
        let history = try #require(BuildHarness.config(reference)["history"] as? [[String: Any]]).suffix(2).compactMap { $0["created_by"] as? String }
        let pluginID = try BuildHarness.sha256(try Self.file(try CopyKit.succeed(["config", registry.plugin]).stdout))
        let dockerID = try BuildHarness.sha256(try Self.file(try CopyKit.succeed(["config", "--platform", "linux/amd64", registry.dockerCLI]).stdout))
        #expect(history.first?.hasPrefix("COPY --from=\(pluginID) /opt/harness/bin/harness-sam-plugin") == true, "\(history)")
        #expect(history.last?.contains("COPY --from=\(dockerID) /usr/local/bin/docker") == true, "\(history)")
        for line in history {
            #expect(!line.contains("127.0.0.1") && !line.contains("oci:") && !line.contains("docker-archive") && !line.contains("aws-sam-plugin"), "\(line)")
        }
    }

    /// append's --copy-from too: a registry, a layout and an archive copy of the plugin image.
    @Test func appendCopyFromGivesOneDigestFromEveryLocation() throws {
        let (registry, layout, archive) = try Self.copies.get()
        var digests: [String] = []
        for plugin in [registry.plugin, layout.plugin, archive.plugin] {
            let result = try Command.samforge(["append", "-q", "--copy-from", "\(plugin):/opt/harness/scripts:/opt/tools",
                                               "\(Self.host)/\(BuildHarness.pythonBase)", BuildHarness.newTarget("located-append") + ":1"],
                                              environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
            try #require(result.status == 0, "\(plugin): \(result.stderr)")
            digests.append(Self.digest(result))
        }
        #expect(Set(digests).count == 1, "\(digests)")
    }

    static func file(_ text: String) throws -> String {
        let path = try TemporaryDirectory().path + "/config.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
