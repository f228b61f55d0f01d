import Foundation
import Testing
import TestSupport

/// An index `append --platform all` pushes is read by containerd per platform: `ctr images pull
/// --platform P` fetches and unpacks P's child only (the other child's manifest never reaches
/// the content store), and that child's own layer runs: the docker CLI `--copy-from` took from
/// the same platform of the docker image. (The fixtures' busybox is the host's binary on every
/// platform, so an arm64 child runs here.)
@Suite("consumers: containerd picks a platform of the index samforge appends to", .enabled(if: Consumers.available))
struct ConsumerPlatformTests {
    static let platforms: [(pull: String, indexEntry: String, architecture: String)] = [
        ("linux/arm64", "linux/arm64/v8", "arm64"),
        ("linux/amd64", "linux/amd64", "amd64"),
    ]

    @Test(arguments: platforms)
    func ctrPullsOnePlatformsChildAndRunsIt(platform: (pull: String, indexEntry: String, architecture: String)) throws {
        let plain = TestWorld.plain
        let target = BuildHarness.newTarget("consumers-platform") + ":1"
        // An Env of its own makes this test's child manifests its own in containerd's store.
        let result = try CopyKit.succeed(["append", "-q", "--platform", "all", "--env", "RUN=\(UUID().uuidString)",
                                          "--copy-from", "\(plain)/\(BuildHarness.dockerCLI):/usr/local/bin/docker",
                                          "\(plain)/\(BuildHarness.nodeList)", target])
        let digest = try #require(result.lastLine.split(separator: "@").last.map(String.init))
        let children = Dictionary(uniqueKeysWithValues: try BuildHarness.childDigests(target).map { ($0.platform, $0.digest) })
        #expect(Set(children.keys) == ["linux/amd64", "linux/arm64/v8"])
        let chosen = try #require(children[platform.indexEntry])

        try Containerd.pull(target, platform: platform.pull)
        #expect(try Containerd.digest(of: target) == digest, "containerd names the index")
        #expect(try Containerd.hasContent(chosen), "\(platform.pull)'s manifest pulled")
        for (entry, other) in children where entry != platform.indexEntry {
            #expect(try !Containerd.hasContent(other), "\(entry)'s manifest was not pulled for \(platform.pull)")
        }
        let manifest = try CopyKit.json(try Containerd.content(chosen))
        let configDigest = try #require(CopyKit.configDigest(ofManifest: manifest))
        #expect(try CopyKit.json(try Containerd.content(configDigest))["architecture"] as? String == platform.architecture)

        let output = try Containerd.run(target, ["/usr/local/bin/docker"], platform: platform.pull)
        #expect(Consumers.lines(output) == ["Docker version 26.0.1, build fixture-\(platform.architecture)"])
    }
}
