import Foundation
import OCI
import Testing
import TestSupport

/// `samforge digest|manifest|config` from every kind of location, checked against the fixtures'
/// digests and skopeo's reading of the same image.
@Suite("digest, manifest, config", .enabled(if: TestWorld.available))
struct OneLinerTests {
    /// The node index (amd64 + arm64) in a registry, an OCI layout and (amd64 only) a docker archive.
    static func locations() throws -> [(name: String, location: String, index: Bool)] {
        let directory = try TemporaryDirectory().path
        let registry = "\(TestWorld.plain)/\(CopyTests.nodeList)"
        _ = try CopyKit.succeed(["copy", "-q", registry, "oci:\(directory)/layout:1"])
        _ = try CopyKit.succeed(["copy", "-q", registry, "docker-archive:\(directory)/image.tar:app:1"])
        return [("registry", registry, true), ("oci", "oci:\(directory)/layout:1", true),
                ("docker-archive", "docker-archive:\(directory)/image.tar", false)]
    }

    @Test func everyLocation() throws {
        let list = try CopyKit.fixture(CopyTests.nodeList)
        let amd64 = try CopyKit.fixture(CopyTests.nodeAMD64)
        for (name, location, isIndex) in try Self.locations() {
            let digest = try CopyKit.succeed(["digest", location])
            let manifest = try CopyKit.succeed(["manifest", location])
            // The manifest printed hashes to the digest printed: the bytes are exact.
            #expect(digest.stdout == Digest.of(Array(manifest.stdout.utf8)).description + "\n", "\(name)")
            if isIndex { #expect(digest.stdout == list.digest + "\n", "\(name)") }
            // --platform: the child's manifest (the same one in every location but the archive,
            // which stores no manifest and rebuilds it).
            let child = try CopyKit.succeed(["digest", "--platform", "linux/amd64", location])
            let childManifest = try CopyKit.succeed(["manifest", "--platform", "linux/amd64", location])
            #expect(child.stdout == Digest.of(Array(childManifest.stdout.utf8)).description + "\n", "\(name)")
            if isIndex {
                #expect(child.stdout == amd64.digest + "\n", "\(name)")
                let arm = try CopyKit.succeed(["digest", "--platform", "linux/arm64", location])
                #expect(arm.stdout == (list.manifests?["linux/arm64"] ?? "?") + "\n", "\(name)")
            }
            // The config is the same bytes everywhere (its digest survives every copy).
            let config = try CopyKit.succeed(["config", location])
            #expect(Digest.of(Array(config.stdout.utf8)).description == amd64.config_digest, "\(name)")
            #expect(config.stderr.isEmpty && digest.stderr.isEmpty && manifest.stderr.isEmpty, "\(name): \(config.stderr)")
        }
    }

    /// skopeo reads the same manifest and config bytes from the registry.
    @Test func skopeoAgrees() throws {
        let reference = "\(TestWorld.plain)/\(CopyTests.nodeAMD64)"
        let manifest = try CopyKit.succeed(["manifest", reference])
        let skopeoManifest = try Command.run("skopeo", ["inspect", "--tls-verify=false", "--raw", "docker://\(reference)"])
        #expect(skopeoManifest.status == 0 && manifest.stdout == skopeoManifest.stdout, "\(skopeoManifest.stderr)")
        let config = try CopyKit.succeed(["config", reference])
        let skopeoConfig = try Command.run("skopeo", ["inspect", "--tls-verify=false", "--config", "--raw", "docker://\(reference)"])
        #expect(skopeoConfig.status == 0 && config.stdout == skopeoConfig.stdout, "\(skopeoConfig.stderr)")
    }

    @Test func aPlatformTheIndexLacksIsOneLine() throws {
        let result = try CopyKit.samforge(["digest", "--platform", "linux/s390x", "\(TestWorld.plain)/\(CopyTests.nodeList)"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("linux/s390x"), "\(result.stderr)")
    }
}

/// Wrong things in the wrong place: each message says what to type instead (exit 2, before any
/// traffic).
@Suite("locations in the wrong place")
struct MisplacedLocationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var fragment: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    @Test(arguments: [
        Case(arguments: ["tags", "oci:./layout"], fragment: "jq -r '.manifests[].annotations[\"org.opencontainers.image.ref.name\"] // empty' ./layout/index.json"),
        Case(arguments: ["tags", "docker-archive:image.tar"], fragment: "tar -xOf image.tar manifest.json | jq -r '.[].RepoTags[]'"),
        Case(arguments: ["login", "-u", "ci", "--password-stdin", "oci:./layout"], fragment: "is a local OCI layout, which needs no credentials"),
        Case(arguments: ["logout", "docker-archive:image.tar"], fragment: "is a local docker archive, which needs no credentials"),
        Case(arguments: ["login", "-u", "ci", "--password-stdin", "docker://registry.example.com/team/app"], fragment: "not a docker:// reference: write registry.example.com"),
        Case(arguments: ["logout", "docker://registry.example.com"], fragment: "write registry.example.com"),
        Case(arguments: ["copy", "--all-tags", "oci:./a", "oci:./b"], fragment: "samforge copy oci:DIR:TAG DST"),
        Case(arguments: ["inspect", "oci:docker://registry.example.com/app:1"], fragment: "write registry.example.com/app:1 (or docker://registry.example.com/app:1) for a registry"),
        Case(arguments: ["digest", "docker-archive:docker://registry.example.com/app:1"], fragment: "docker-archive: takes a file, not a URL"),
        Case(arguments: ["copy", "docker://docker://registry.example.com/app:1", "oci:./x"], fragment: "a reference takes no docker://; write registry.example.com/app:1"),
        Case(arguments: ["manifest", "registry.example.com/docker://app"], fragment: "may only start a location"),
        Case(arguments: ["config", "https://registry.example.com/app:1"], fragment: "write registry.example.com/app:1"),
        Case(arguments: ["pipeline", "harness", "--image", "docker://registry.example.com/samforge:1"], fragment: "a reference takes no docker://; write registry.example.com/samforge:1"),
        Case(arguments: ["pipeline", "k8s-job", "--sam-base-image", "public.ecr.aws/sam/build-nodejs18.x:1.143.0", "--plugin-image", "https://h.example.com/p:1"], fragment: "write h.example.com/p:1"),
    ])
    func saysWhatToTypeInstead(_ case_: Case) throws {
        let result = try Command.samforge(case_.arguments, input: "password\n")
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.hasPrefix("samforge: error: "), "\(result.stderr)")
        #expect(result.stderr.contains(case_.fragment), "\(result.stderr)")
    }

    /// A name without a registry is Docker Hub's: when that fails (here: no network, or no such
    /// repository), the message says so and what to type for another registry or a local docker.
    @Test(arguments: [["digest", "samforge-no-such-image:1"], ["copy", "-q", "samforge-no-such-image:1", "oci:/tmp/samforge-short-name"],
                      ["append", "-q", "--env", "A=1", "scratch", "samforge-no-such-image:1"],
                      ["append", "--copy-from", "samforge-no-such-image:1:/bin/sh", "scratch", "oci:/tmp/samforge-short-name"]])
    func dockerHubShortNames(_ arguments: [String]) throws {
        let result = try Command.samforge(["--retry-times", "0"] + arguments)
        #expect(result.status != 0)
        let line = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(line.contains("(\"samforge-no-such-image:1\" is Docker Hub's docker.io/library/samforge-no-such-image:1; for another registry write HOST[:PORT]/samforge-no-such-image:1, for an image in a local docker run docker save -o samforge-no-such-image.tar samforge-no-such-image:1 and use docker-archive:samforge-no-such-image.tar)"), "\(result.stderr)")
    }
}
