import Foundation
import Testing
import TestSupport

/// Results for pipelines: --output-env, --json, --timestamp-tag; reproducibility; the cache.
@Suite("samforge build: outputs, tags, reproducibility", .enabled(if: TestWorld.available))
struct BuildOutputTests {
    @Test func sameInputsSameDigestInAnyRepository() throws {
        let first = try BuildHarness.build(target: BuildHarness.newTarget("build-repro"))
        let second = try BuildHarness.build(target: BuildHarness.newTarget("build-repro"))
        try #require(first.status == 0 && second.status == 0, "\(first.stderr)\n\(second.stderr)")
        let digest = { (line: String) in line.split(separator: "@").last.map(String.init) }
        #expect(digest(first.lastLine) != nil)
        #expect(digest(first.lastLine) == digest(second.lastLine))
        let other = try BuildHarness.build(target: BuildHarness.newTarget("build-repro"),
                                           environment: ["SOURCE_DATE_EPOCH": "1700000001"])
        try #require(other.status == 0, "\(other.stderr)")
        #expect(digest(other.lastLine) != digest(first.lastLine))
    }

    /// A second identical build finds every blob in place (HEAD only) and moves the tag nowhere new.
    @Test func rerunSkipsEveryBlob() throws {
        let target = BuildHarness.newTarget("build-rerun")
        let first = try BuildHarness.build(target: target)
        let second = try BuildHarness.build(target: target)
        try #require(first.status == 0 && second.status == 0, "\(first.stderr)\n\(second.stderr)")
        #expect(first.lastLine == second.lastLine)
        let blobLines = second.stderr.split(separator: "\n").filter { $0.hasPrefix("  exists   ") || $0.hasPrefix("  copied   ") || $0.hasPrefix("  mounted  ") }
        // The image's base layers, two new layers and its config; then the SBOM's and the
        // provenance's empty config and document each.
        #expect(blobLines.count == (TestWorld.fixtures[BuildHarness.nodeBase]?.layers?.count ?? 0) + 3 + 2 * 2)
        #expect(blobLines.allSatisfy { $0.hasPrefix("  exists   ") }, "\(blobLines)")
        #expect(second.stderr.contains("blobs: 0 copied (0 B)"), "\(second.stderr)")
    }

    @Test func outputEnvFileAndTimestampTag() throws {
        let target = BuildHarness.newTarget("build-outenv")
        let file = try TemporaryDirectory().path + "/out.env"
        let result = try BuildHarness.build(target: target, extra: ["--output-env", file, "--timestamp-tag", "--quiet"])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "--quiet prints no progress and no advisory warning: \(result.stderr)")
        let digest = try #require(result.lastLine.split(separator: "@").last.map(String.init))
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        // One image: the plain names, and the runtime's, which a run of several keeps.
        let values = ["\(target):1.1.2-nodejs18.x-1.143.0-linux-amd64", digest, "nodejs18.x", "1.143.0", "20231114221320"]
        let names = ["FINAL_IMAGE", "IMAGE_DIGEST", "SAM_RUNTIME", "SAM_VERSION", "TIMESTAMP"]
        #expect(lines == zip(names, values).map { "\($0)=\($1)" } + zip(names, values).map { "\($0)_NODEJS18_X=\($1)" })
        let tags = try BuildHarness.json(try BuildHarness.skopeo(["list-tags", "docker://" + target]).stdout)["Tags"] as? [String]
        // Image tags, and one referrers tag (sha256-HEX: the SBOM and provenance of the image).
        #expect(Set(tags ?? []) == ["1.1.2-nodejs18.x-1.143.0-linux-amd64", "1.1.2-nodejs18.x-1.143.0-linux-amd64-20231114221320",
                                    "sha256-" + digest.dropFirst("sha256:".count)])
        let timestamped = try BuildHarness.inspect("\(target):1.1.2-nodejs18.x-1.143.0-linux-amd64-20231114221320")
        #expect(timestamped["Digest"] as? String == digest)
    }

    @Test func jsonReport() throws {
        let target = BuildHarness.newTarget("build-json")
        let result = try BuildHarness.build(target: target, extra: ["--json", "--timestamp-tag"])
        try #require(result.status == 0, "\(result.stderr)")
        let report = try BuildHarness.json(result.stdout)
        let digest = try #require(report["imageDigest"] as? String)
        let tag = "1.1.2-nodejs18.x-1.143.0-linux-amd64"
        #expect(report["finalImage"] as? String == "\(target):\(tag)")
        #expect(report["reference"] as? String == "\(target):\(tag)@\(digest)")
        #expect(report["tags"] as? [String] == [tag, "\(tag)-20231114221320"])
        #expect(report["samRuntime"] as? String == "nodejs18.x")
        #expect(report["samVersion"] as? String == "1.143.0")
        #expect(report["timestamp"] as? String == "20231114221320")
        #expect(report["targetRepo"] as? String == target)
        #expect(report["mediaType"] as? String == "application/vnd.docker.distribution.manifest.v2+json")
        let layers = try #require(report["layers"] as? [[String: Any]])
        #expect(layers.count == 2)
        #expect(layers.allSatisfy { ($0["digest"] as? String)?.hasPrefix("sha256:") == true && $0["diffID"] != nil && $0["size"] != nil })
        #expect(try BuildHarness.inspect("\(target):\(tag)")["Digest"] as? String == digest)
    }

    /// As `nobody`, without any capability, with only HOME set: the cache lands in ~/.cache/samforge
    /// and the image digest is the one root gets.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func runsUnprivileged() throws {
        let home = try TemporaryDirectory().path
        #expect(chown(home, 65534, 65534) == 0)
        let target = BuildHarness.newTarget("build-nobody")
        let arguments = try BuildHarness.arguments(target: target).filter { !$0.hasPrefix("--cache-dir") && !$0.hasSuffix("/cache") }
        let result = try Command.run("/usr/bin/setpriv", [
            "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
            "/usr/bin/env", "-i", "HOME=\(home)", "SOURCE_DATE_EPOCH=\(BuildHarness.epoch)", Command.samforgePath,
        ] + arguments)
        try #require(result.status == 0, "\(result.stderr)")
        let reference = try BuildHarness.build(target: BuildHarness.newTarget("build-root"))
        #expect(result.lastLine.split(separator: "@").last == reference.lastLine.split(separator: "@").last)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/.cache/samforge/blobs/sha256").count == 2)
    }

    /// The cache keeps only this build's layers; staging and downloads are gone.
    @Test func cacheIsPrunedToTheNewLayers() throws {
        let cache = try TemporaryDirectory().path
        // A stale blob and a crashed build's staging directory, both to be removed.
        try FileManager.default.createDirectory(atPath: cache + "/blobs/sha256", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cache + "/staging/crashed", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: cache + "/blobs/sha256/" + String(repeating: "0", count: 64), contents: Data("stale".utf8))
        let target = BuildHarness.newTarget("build-cache")
        let result = try BuildHarness.build(target: target, extra: ["--cache-dir", cache, "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let layers = try #require(try BuildHarness.json(result.stdout)["layers"] as? [[String: Any]])
        let expected = Set(layers.compactMap { ($0["digest"] as? String)?.dropFirst("sha256:".count).description })
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: cache + "/blobs/sha256")) == expected)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/staging").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/tmp").isEmpty)
    }
}
