import Foundation
import Testing
import TestSupport

/// The token registry: anonymous pull, push only with DOCKER_USERNAME/DOCKER_PASSWORD.
@Suite("samforge build: bearer-token registry", .enabled(if: TestWorld.available))
struct BuildAuthTests {
    var creds: String { "\(TestWorld.tokenUser):\(TestWorld.tokenPassword)" }

    var credentials: [String: String] {
        ["SOURCE_DATE_EPOCH": BuildHarness.epoch, "DOCKER_USERNAME": TestWorld.tokenUser, "DOCKER_PASSWORD": TestWorld.tokenPassword]
    }

    /// Inputs and target on the token registry: base layers are mounted, not copied.
    @Test func pushesWithDockerUsernameAndPassword() throws {
        let target = BuildHarness.newTarget("build-token", host: TestWorld.token)
        let result = try BuildHarness.build(target: target, host: TestWorld.token, environment: credentials)
        try #require(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains(TestWorld.tokenPassword) && !result.stdout.contains(TestWorld.tokenPassword))
        let reference = try BuildHarness.taggedReference(result)
        let inspect = try BuildHarness.inspect(reference, creds: creds)
        #expect(inspect["Architecture"] as? String == "amd64")
        #expect(result.lastLine.hasSuffix(try #require(inspect["Digest"] as? String)))
        #expect(result.stderr.split(separator: "\n").contains { $0.hasPrefix("  mounted  ") && $0.hasSuffix("from sam/build-nodejs18.x") }, "\(result.stderr)")
        // The same inputs from another registry (a mirror): the same digest.
        let plain = try BuildHarness.build(target: BuildHarness.newTarget("build-token"))
        #expect(plain.lastLine.split(separator: "@").last == result.lastLine.split(separator: "@").last)
    }

    /// Inputs on the plain registry, target on the token registry: every base layer streams
    /// GET→upload, and arrives with its digest.
    @Test func streamsBaseLayersAcrossRegistries() throws {
        let target = BuildHarness.newTarget("build-stream", host: TestWorld.token)
        let result = try BuildHarness.build(target: target, environment: credentials)
        try #require(result.status == 0, "\(result.stderr)")
        let baseLayers = try #require(TestWorld.fixtures[BuildHarness.nodeBase]?.layers)
        for digest in baseLayers {
            #expect(result.stderr.contains("  copied   \(digest.dropFirst("sha256:".count).prefix(12))  "), "\(digest)")
        }
        let raw = try BuildHarness.skopeo(["inspect", "--raw", "docker://" + (try BuildHarness.taggedReference(result))], creds: creds)
        try #require(raw.status == 0, "\(raw.stderr)")
        #expect(Array(BuildHarness.layerDigests(try BuildHarness.json(raw.stdout)).prefix(baseLayers.count)) == baseLayers)
    }

    @Test func wrongPasswordFailsAndPushesNothing() throws {
        let target = BuildHarness.newTarget("build-token-bad", host: TestWorld.token)
        let result = try BuildHarness.build(target: target, extra: [], environment: [
            "SOURCE_DATE_EPOCH": BuildHarness.epoch, "DOCKER_USERNAME": TestWorld.tokenUser, "DOCKER_PASSWORD": "wrong-password",
        ])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.errorLine.contains(TestWorld.token), "\(result.stderr)")
        #expect(result.errorLine.contains("authentication failed") || result.errorLine.contains("denied"), "\(result.stderr)")
        #expect(!result.stderr.contains("wrong-password"))
        let inspect = try BuildHarness.skopeo(["inspect", "docker://\(target):1.1.2-nodejs18.x-1.143.0-linux-amd64"], creds: creds)
        #expect(inspect.status != 0)
        #expect(inspect.stderr.contains("manifest unknown") || inspect.stderr.contains("not found") || inspect.stderr.contains("name unknown"), "\(inspect.stderr)")
    }
}
