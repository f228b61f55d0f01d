import Foundation
import Testing
import TestSupport

/// What `copy`, `append` and `build` push to a registry is pulled and run by the tools that run
/// images in production: containerd (`ctr images pull` through a `config_path` hosts directory,
/// unpacked into its snapshotter, `ctr run` with runc, as a Kubernetes node does), podman
/// (`pull`, `run`) and buildah (`from`, `run`). Each must report the digest samforge printed and
/// run the image with its own Env, WorkingDir and Entrypoint.
@Suite("consumers: containerd, podman and buildah pull and run what samforge pushes", .enabled(if: Consumers.available))
struct ConsumerRegistryTests {
    @Test(arguments: ConsumerImage.allCases)
    func containerdPullsUnpacksAndRunsIt(image: ConsumerImage) throws {
        let written = try image.write(to: .registry)
        try Containerd.pull(written.name)
        #expect(try Containerd.digest(of: written.name) == written.digest, "containerd's digest for \(written.name)")
        let output = try Containerd.run(written.name, image.runArguments)
        #expect(Consumers.lines(output) == image.expectedOutput, "ctr run \(written.name)")
    }

    @Test(arguments: ConsumerImage.allCases)
    func podmanPullsAndRunsIt(image: ConsumerImage) throws {
        let written = try image.write(to: .registry)
        try Podman.podman(["pull", "-q", "--tls-verify=false", written.name])
        #expect(try Podman.repoDigests(written.name).contains("\(written.repository)@\(written.digest)"))
        let output = try Podman.run(written.name, image.runArguments)
        #expect(Consumers.lines(output) == image.expectedOutput, "podman run \(written.name)")
    }

    @Test(arguments: ConsumerImage.allCases)
    func buildahBuildsFromIt(image: ConsumerImage) throws {
        let written = try image.write(to: .registry)
        let output = try Podman.buildahRun(written.name, image.command)
        #expect(Consumers.lines(output) == image.expectedOutput, "buildah run in a container from \(written.name)")
    }

    /// containerd reads a TLS registry through the same hosts directory, trusting the world's CA
    /// (`ca = …` in hosts.toml), as a node trusts a private registry.
    @Test func containerdPullsFromTheTLSRegistryWithTheCAOfItsHostsFile() throws {
        let target = "\(TestWorld.tls)/\(TestWorld.uniqueRepository("consumers-tls")):1"
        let result = try CopyKit.succeed(["copy", "-q", "--ca-file", TestWorld.caFile, "\(TestWorld.plain)/\(BuildHarness.pythonBase)", target])
        let digest = try #require(result.lastLine.split(separator: "@").last.map(String.init))
        try Containerd.pull(target)
        #expect(try Containerd.digest(of: target) == digest)
        #expect(Consumers.lines(try Containerd.run(target, ["/var/lang/bin/python3"])) == ["Python 3.12.11 (samforge fixture)"])
    }
}

@Suite("test world: consumers")
struct ConsumerPresenceTests {
    /// scripts/test runs as root and starts containerd; the consumer suites must not be skipped
    /// silently because it did not.
    @Test func containerdIsUpWhenTheWorldIsRequired() {
        #expect(!TestWorld.required || Consumers.available, "scripts/test promised a world but SAMFORGE_TEST_CONTAINERD is unset (not root?)")
    }
}
