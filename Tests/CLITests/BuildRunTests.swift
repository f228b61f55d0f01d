import Foundation
import Testing
import TestSupport

/// The built image really runs: skopeo copies it to an OCI layout, umoci unpacks it rootless,
/// and its entrypoint runs in a user-namespace chroot with exactly the image's Env.
@Suite("samforge build: the image runs", .enabled(if: TestWorld.available))
struct BuildRunTests {
    @Test func entrypointRunsWithTheImageEnv() throws {
        let target = BuildHarness.newTarget("build-run")
        let result = try BuildHarness.build(target: target)
        try #require(result.status == 0, "\(result.stderr)")
        let reference = try BuildHarness.taggedReference(result)

        let directory = try TemporaryDirectory().path
        let copy = try Command.run("skopeo", ["copy", "-q", "--src-tls-verify=false", "docker://" + reference, "oci:\(directory)/layout:built"])
        try #require(copy.status == 0, "skopeo copy: \(copy.stderr)")
        let unpack = try Command.run("umoci", ["unpack", "--rootless", "--image", "\(directory)/layout:built", "\(directory)/bundle"])
        try #require(unpack.status == 0, "umoci unpack: \(unpack.stderr)")

        let env = try #require(BuildHarness.config(reference)["config"] as? [String: Any])["Env"] as? [String]
        let imageEnv = try #require(env)
        let run = try Command.run("/usr/bin/env", ["-i"] + imageEnv + ["/usr/bin/unshare", "-r", "/usr/sbin/chroot", "\(directory)/bundle/rootfs",
                                                                      "/opt/harness/scripts/sam-plugin.sh"])
        try #require(run.status == 0, "entrypoint: \(run.stderr)")
        #expect(run.stdout.split(separator: "\n").map(String.init) == [
            "sam-plugin.sh v2",
            "HARNESS_GO_PLUGIN_VERSION=v0.4.5",
            "DOCKER_VERSION=26.0.1",
            "harness-sam-plugin fixture v1",
            "go-template v0.4.5 (samforge fixture)",
            "Docker version 26.0.1, build fixture-amd64",
        ])
        // The base's whiteouts still hold underneath the new layers.
        let rootfs = "\(directory)/bundle/rootfs"
        #expect(!FileManager.default.fileExists(atPath: rootfs + "/etc/motd"))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: rootfs + "/opt/stale")) == ["c.txt"])
    }
}
