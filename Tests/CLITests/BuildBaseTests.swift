import Foundation
import Testing
import TestSupport

/// How the base reference resolves, and the failures that must push nothing.
@Suite("samforge build: base resolution and failures", .enabled(if: TestWorld.available))
struct BuildBaseTests {
    /// `1.143.0` (a valid X.Y.Z tag) names a Docker manifest list: the amd64 child is the base.
    @Test func manifestListResolvesToAMD64() throws {
        let target = BuildHarness.newTarget("build-list")
        let result = try BuildHarness.build(base: BuildHarness.nodeList, target: target, extra: ["--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let report = try BuildHarness.json(result.stdout)
        let base = try #require(report["base"] as? [String: Any])
        let fixture = try #require(TestWorld.fixtures[BuildHarness.nodeList])
        #expect(base["digest"] as? String == fixture.index_digest)
        #expect(base["manifestDigest"] as? String == fixture.manifests?["linux/amd64"])
        let reference = "\(target):1.1.2-nodejs18.x-1.143.0-linux-amd64"
        #expect(try BuildHarness.inspect(reference)["Architecture"] as? String == "amd64")
        let amd64Layers = try #require(TestWorld.fixtures[BuildHarness.nodeBase]?.layers)
        #expect(Array(BuildHarness.layerDigests(try BuildHarness.rawManifest(reference)).prefix(amd64Layers.count)) == amd64Layers)
    }

    /// The docker CLI image nobody named (Docker Hub's, blocked here by registries.conf as an
    /// air-gapped network would refuse it): the error says it was the default and what replaces it.
    @Test func anUnreachableDefaultDockerCLIImageSaysItIsTheDefault() throws {
        let directory = try TemporaryDirectory().path
        try "[[registry]]\nlocation = \"docker.io\"\nblocked = true\n".write(toFile: directory + "/registries.conf", atomically: true, encoding: .utf8)
        let target = BuildHarness.newTarget("default-docker")
        let result = try Command.samforge(try BuildHarness.arguments(target: target, dockerImage: false),
                                          environment: ["CONTAINERS_REGISTRIES_CONF": directory + "/registries.conf"])
        #expect(result.status == 1)
        #expect(result.errorLine.hasPrefix("samforge: error: docker CLI image: "), "\(result.stderr)")
        #expect(result.errorLine.hasSuffix("(docker.io/library/docker:26.0.1-cli is the default docker CLI image: name a copy with --docker-cli-image REF or --docker-cli-file PATH|URL, or leave it out with --no-docker-cli)"), "\(result.stderr)")
        // Named by the user, it is theirs: no hint.
        let named = try Command.samforge(try BuildHarness.arguments(target: target, dockerImage: false, extra: ["--docker-cli-image", "docker.io/library/docker:26.0.1-cli"]),
                                         environment: ["CONTAINERS_REGISTRIES_CONF": directory + "/registries.conf"])
        #expect(named.status == 1 && !named.errorLine.contains("is the default"), "\(named.stderr)")
    }

    /// An OCI base gets an OCI manifest, OCI config and OCI layer types for the new layers.
    @Test func ociBaseKeepsTheOCIFlavour() throws {
        let target = BuildHarness.newTarget("build-oci")
        let result = try BuildHarness.build(base: BuildHarness.pythonBase, target: target)
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.lastLine.hasPrefix("\(target):1.1.2-python3.12-1.143.0-linux-amd64@sha256:"))
        let manifest = try BuildHarness.rawManifest(try BuildHarness.taggedReference(result))
        #expect(manifest["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        #expect((manifest["config"] as? [String: Any])?["mediaType"] as? String == "application/vnd.oci.image.config.v1+json")
        let types = ((manifest["layers"] as? [[String: Any]]) ?? []).compactMap { $0["mediaType"] as? String }
        #expect(types.count == 4)
        #expect(Set(types) == ["application/vnd.oci.image.layer.v1.tar+gzip"])
        let baseLayers = try #require(TestWorld.fixtures[BuildHarness.pythonBase]?.layers)
        #expect(Array(BuildHarness.layerDigests(manifest).prefix(2)) == baseLayers)
    }

    struct Failure: Sendable, CustomTestStringConvertible {
        let label: String
        var base = BuildHarness.nodeBase
        var plugin = BuildHarness.plugin
        let message: String
        var testDescription: String { label }
    }

    static let failures: [Failure] = [
        Failure(label: "arm64 config", base: "sam/build-java21:1.143.0-20250101000000-x86_64",
                message: "SAM base image: \(TestWorld.plain)/sam/build-java21:1.143.0-20250101000000-x86_64: image is linux/arm64/v8, not linux/amd64"),
        Failure(label: "missing base tag", base: "sam/build-nodejs18.x:9.9.9-20990101000000-x86_64",
                message: "SAM base image: \(TestWorld.plain)/sam/build-nodejs18.x:9.9.9-20990101000000-x86_64: manifest unknown"),
        Failure(label: "missing plugin binary", plugin: "harness/aws-sam-plugin:no-binary",
                message: "plugin image \(TestWorld.plain)/harness/aws-sam-plugin:no-binary has no /opt/harness/bin/harness-sam-plugin"),
        Failure(label: "missing plugin tag", plugin: "harness/aws-sam-plugin:0.0.0-missing",
                message: "plugin image: \(TestWorld.plain)/harness/aws-sam-plugin:0.0.0-missing: manifest unknown"),
    ]

    /// The fixture index without amd64 has a tag the grammar refuses (`…-arm64only`, exit 2
    /// before any traffic), so it is copied under a valid X.Y.Z tag to reach the runtime check.
    @Test func amd64LessIndexFails() throws {
        let repository = "\(TestWorld.plain)/\(TestWorld.uniqueRepository("mirror"))/build-ruby3.2"
        let copy = try Command.run("skopeo", ["copy", "--all", "-q", "--src-tls-verify=false", "--dest-tls-verify=false",
                                              "docker://\(TestWorld.plain)/sam/build-ruby3.2:1.143.0-arm64only", "docker://\(repository):1.143.0"])
        try #require(copy.status == 0, "\(copy.stderr)")
        let target = BuildHarness.newTarget("build-fail")
        let result = try Command.samforge(try BuildHarness.arguments(target: target).map {
            $0 == "\(TestWorld.plain)/\(BuildHarness.nodeBase)" ? "\(repository):1.143.0" : $0
        })
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.errorLine.contains("SAM base image: \(repository):1.143.0: no linux/amd64 image in the index (available: linux/arm64"), "\(result.stderr)")
        #expect(try BuildHarness.hasNoTags(target))

        let refused = try Command.samforge(try BuildHarness.arguments(base: "sam/build-ruby3.2:1.143.0-arm64only", target: target))
        #expect(refused.status == 2)
        #expect(refused.errorLine.contains("arm64 images are not supported"))
    }

    /// A presigned tool URL that fails: the error names the file, never its signature or password.
    @Test func failedDownloadKeepsTheURLsSecretsOutOfTheError() throws {
        let base = URL(string: TestWorld.goTemplateURL)!
        let url = "http://someone:hunter2@\(base.host!):\(base.port!)/missing-go-template?X-Amz-Signature=s3cr3t&X-Amz-Security-Token=t0ken"
        let target = BuildHarness.newTarget("build-fail")
        let result = try BuildHarness.build(target: target, goTemplate: url)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.errorLine.contains("http://\(base.host!):\(base.port!)/missing-go-template?..."), "\(result.stderr)")
        #expect(result.errorLine.contains("HTTP 404"), "\(result.stderr)")
        for secret in ["hunter2", "s3cr3t", "t0ken", "someone"] {
            #expect(!result.stderr.contains(secret) && !result.stdout.contains(secret))
        }
        #expect(try BuildHarness.hasNoTags(target))
    }

    @Test(arguments: failures)
    func failsWithOneLineAndPushesNothing(_ failure: Failure) throws {
        let target = BuildHarness.newTarget("build-fail")
        let result = try BuildHarness.build(base: failure.base, plugin: failure.plugin, target: target)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.errorLine.contains(failure.message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(try BuildHarness.hasNoTags(target))
    }
}
