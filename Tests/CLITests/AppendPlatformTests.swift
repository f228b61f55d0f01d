import Foundation
import Testing
import TestSupport

/// `append --platform all` (or a list) on a multi-arch base writes a new index: every chosen
/// platform gets the new layer and config changes, `--copy-from` takes each platform's files
/// from the same platform of the other image, and a layer identical for every platform is
/// written and uploaded once.
@Suite("samforge append on every platform of an index", .enabled(if: TestWorld.available))
struct AppendPlatformTests {
    var plain: String { TestWorld.plain }

    func note() throws -> String {
        let file = try TemporaryDirectory().path + "/note.txt"
        try "same on every platform\n".write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func childDigests(_ reference: String) throws -> [(platform: String, digest: String)] {
        try BuildHarness.childDigests(reference)
    }

    func children(_ reference: String) throws -> [(platform: String, manifest: [String: Any])] {
        try childDigests(reference).map { ($0.platform, try BuildHarness.rawManifest("\(String(reference.dropLast(2)))@\($0.digest)")) }
    }

    @Test func aLayerTheSameForEveryPlatformIsWrittenAndUploadedOnce() throws {
        let target = BuildHarness.newTarget("append-all") + ":1"
        let result = try CopyKit.succeed(["append", "--platform", "all", "--file", "\(try note()):/opt/note.txt", "--env", "ALL=1",
                                          "\(plain)/\(BuildHarness.nodeList)", target])
        let children = try children(target)
        #expect(Set(children.map(\.platform)) == ["linux/amd64", "linux/arm64/v8"])
        let added = Set(children.compactMap { BuildHarness.layerDigests($0.manifest).last })
        #expect(added.count == 1, "one layer for both platforms: \(added)")
        let layer = try #require(added.first)
        let short = String(layer.dropFirst("sha256:".count).prefix(12))
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("layer \(short) ") }.count == 1, "written once: \(result.stderr)")
        #expect(lines.filter { $0.hasPrefix("  copied   \(short)") }.count == 1, "uploaded once: \(result.stderr)")
        // Each platform's config got the change and keeps its own architecture.
        for (platform, digest) in try childDigests(target) {
            let config = try BuildHarness.config("\(String(target.dropLast(2)))@\(digest)")
            #expect(((config["config"] as? [String: Any])?["Env"] as? [String])?.last == "ALL=1", "\(platform)")
            #expect(platform.hasPrefix("linux/" + (config["architecture"] as? String ?? "?")))
        }
    }

    @Test func copyFromTakesEachPlatformsOwnFiles() throws {
        let target = BuildHarness.newTarget("append-per-platform") + ":1"
        try CopyKit.succeed(["append", "-q", "--platform", "linux/amd64,linux/arm64",
                             "--copy-from", "\(plain)/\(BuildHarness.dockerCLI):/usr/local/bin/docker",
                             "\(plain)/\(BuildHarness.nodeList)", target])
        let repository = String(target.dropLast(2))
        for child in try children(target) {
            let layer = try #require(BuildHarness.layerDigests(child.manifest).last)
            let listing = try BuildHarness.tarListing(try BuildHarness.downloadBlob(layer, repository: repository))
            let docker = try #require(listing["usr/local/bin/docker"])
            let architecture = child.platform.split(separator: "/")[1]
            #expect(docker.content?.contains("fixture-\(architecture)") == true, "\(child.platform): \(docker.content ?? "")")
        }
    }

    @Test func aPlatformTheBaseDoesNotHaveIsAnErrorBeforeAnyUpload() throws {
        let target = BuildHarness.newTarget("append-missing-platform")
        let result = try CopyKit.samforge(["append", "--platform", "linux/amd64,linux/s390x", "--file", "\(try note()):/opt/note.txt",
                                           "\(plain)/\(BuildHarness.nodeList)", target + ":1"])
        #expect(result.status == 1)
        #expect(CopyKit.errorLine(result).contains("no linux/s390x image in the index"), "\(result.stderr)")
        #expect(try BuildHarness.hasNoTags(target))
    }
}
