import Foundation
import Testing
import TestSupport

/// `samforge copy` against the test world's registries, checked with skopeo, sha256sum, umoci
/// and python: indexes keep their digests, layouts and archives round-trip, re-runs move nothing.
@Suite("copy between registries, layouts and archives", .enabled(if: TestWorld.available))
struct CopyTests {
    static let nodeList = "sam/build-nodejs18.x:1.143.0"
    static let nodeAMD64 = "sam/build-nodejs18.x:1.143.0-20250502200316-x86_64"
    static let pythonIndex = "sam/build-python3.12:1.143.0"
    static let pythonAMD64 = "sam/build-python3.12:1.143.0-20250822194415-x86_64"
    static let dockerIndex = "library/docker:26.0.1-cli"
    var plain: String { TestWorld.plain }

    @Test("an index (Docker manifest list or OCI index) keeps its digest and every child",
          arguments: [nodeList, pythonIndex, dockerIndex])
    func indexKeepsItsDigest(name: String) throws {
        let fixture = try CopyKit.fixture(name)
        let target = CopyKit.newRepository("index")
        let result = try CopyKit.succeed(["copy", "\(plain)/\(name)", target + ":v1"])
        #expect(result.lastLine == "\(target):v1@\(fixture.digest)")
        #expect(try CopyKit.rawDigest("docker://\(plain)/\(name)") == fixture.digest)
        #expect(try CopyKit.rawDigest("docker://\(target):v1") == fixture.digest)
        for child in (fixture.manifests ?? [:]).values {
            #expect(try CopyKit.rawDigest("docker://\(target)@\(child)") == child)
        }
    }

    @Test func platformCopiesOneManifest() throws {
        let fixture = try CopyKit.fixture(Self.nodeList)
        let arm64 = try #require(fixture.manifests?["linux/arm64"])
        let target = CopyKit.newRepository("platform")
        let result = try CopyKit.succeed(["copy", "--platform", "linux/arm64", "\(plain)/\(Self.nodeList)", target + ":arm"])
        #expect(result.lastLine == "\(target):arm@\(arm64)")
        #expect(try CopyKit.rawDigest("docker://\(target):arm") == arm64)
        #expect(try CopyKit.skopeoInspect("docker://\(target):arm", raw: true)["mediaType"] as? String
                == "application/vnd.docker.distribution.manifest.v2+json")
    }

    @Test func sameRegistryMountsThenSecondCopyOnlySkips() throws {
        let target = CopyKit.newRepository("rerun") + ":1"
        let first = try CopyKit.succeed(["copy", "\(plain)/\(Self.pythonIndex)", target])
        // Another repository of the same registry: every blob is mounted, none streamed.
        let mounted = try CopyKit.summary(first)
        #expect(mounted.copied == 0 && mounted.mounted > 0, "\(first.stderr)")
        #expect(first.stderr.contains("  mounted  "))

        let second = try CopyKit.succeed(["copy", "\(plain)/\(Self.pythonIndex)", target])
        #expect(try CopyKit.summary(second) == CopyKit.Summary(copied: 0, skipped: mounted.mounted, mounted: 0))
        #expect(second.stderr.contains("0 copied (0 B)"))

        let quiet = try CopyKit.succeed(["copy", "--quiet", "\(plain)/\(Self.pythonIndex)", target])
        #expect(quiet.stderr.isEmpty)
        #expect(quiet.stdout.split(separator: "\n").count == 1)
    }

    @Test func otherRegistryStreamsThenSkips() throws {
        let target = CopyKit.newRepository("stream", host: TestWorld.tls) + ":1"
        let tls = ["--ca-file", TestWorld.caFile]
        let first = try CopyKit.succeed(["copy", "\(plain)/\(Self.nodeAMD64)", target] + tls)
        #expect(try CopyKit.summary(first) == CopyKit.Summary(copied: 4, skipped: 0, mounted: 0))
        let second = try CopyKit.succeed(["copy", "\(plain)/\(Self.nodeAMD64)", target, "--jobs", "1"] + tls)
        #expect(try CopyKit.summary(second) == CopyKit.Summary(copied: 0, skipped: 4, mounted: 0))
    }

    @Test func ociLayoutRoundTripKeepsDigests() throws {
        let fixture = try CopyKit.fixture(Self.nodeList)
        let directory = try CopyKit.temporaryDirectory() + "/layout"
        let toLayout = try CopyKit.succeed(["copy", "\(plain)/\(Self.nodeList)", "oci:\(directory):1.143.0"])
        #expect(toLayout.lastLine == "oci:\(directory):1.143.0@\(fixture.digest)")
        let index = try CopyKit.json(try String(contentsOfFile: directory + "/index.json", encoding: .utf8))
        let entry = try #require((index["manifests"] as? [[String: Any]])?.first)
        #expect((entry["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == "1.143.0")
        #expect(try CopyKit.shell("sha256sum \"$1\"", [directory + "/blobs/sha256/" + fixture.digest.dropFirst(7)]).hasPrefix(fixture.digest.dropFirst(7)))

        let target = CopyKit.newRepository("fromoci")
        let back = try CopyKit.succeed(["copy", "oci:\(directory):1.143.0", target + ":back"])
        #expect(back.lastLine == "\(target):back@\(fixture.digest)")
        #expect(try CopyKit.rawDigest("docker://\(target):back") == fixture.digest)
    }

    @Test func skopeoAndUmociReadOurOCILayout() throws {
        let index = try CopyKit.fixture(Self.pythonIndex)
        let amd64 = try CopyKit.fixture(Self.pythonAMD64)
        let directory = try CopyKit.temporaryDirectory()
        try CopyKit.succeed(["copy", "-q", "\(plain)/\(Self.pythonIndex)", "oci:\(directory)/layout:index"])
        try CopyKit.succeed(["copy", "-q", "\(plain)/\(Self.pythonAMD64)", "oci:\(directory)/layout:amd64"])

        #expect(try CopyKit.rawDigest("oci:\(directory)/layout:index") == index.digest)
        let inspected = try CopyKit.skopeoInspect("oci:\(directory)/layout:amd64")
        #expect(inspected["Digest"] as? String == amd64.digest)
        #expect(inspected["Layers"] as? [String] == amd64.layers)

        let bundle = directory + "/bundle"
        _ = try CopyKit.shell("umoci unpack --rootless --image \"$1\" \"$2\"", ["\(directory)/layout:amd64", bundle])
        #expect(try String(contentsOfFile: bundle + "/rootfs/etc/os-release", encoding: .utf8).contains("VERSION_ID=\"2023\""))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: bundle + "/rootfs/var/lang/bin/python3") == "python3.12")
    }

    @Test func dockerArchiveRoundTripKeepsConfigAndLayers() throws {
        let fixture = try CopyKit.fixture(Self.nodeAMD64)
        let archive = try CopyKit.temporaryDirectory() + "/node.tar"
        let written = try CopyKit.succeed(["copy", "\(plain)/\(Self.nodeAMD64)", "docker-archive:\(archive):sam/build-nodejs18.x:fixture"])
        // The name as `docker images` shows it (RepoTags), pinned to the manifest digest.
        #expect(written.lastLine == "docker-archive:\(archive):sam/build-nodejs18.x:fixture@\(fixture.digest)")
        // The progress line names it as the result line does (not docker.io/sam/build-nodejs18.x).
        #expect(written.stderr.contains("copying \(plain)/\(Self.nodeAMD64) to docker-archive:\(archive):sam/build-nodejs18.x:fixture\n"), "\(written.stderr)")

        // skopeo reads it (it reports layers by diff_id, as the docker-archive transport does).
        let inspected = try CopyKit.skopeoInspect("docker-archive:\(archive)")
        #expect(inspected["Layers"] as? [String] == fixture.diff_ids)
        #expect(inspected["Architecture"] as? String == "amd64")
        // python sees Docker 25's save: blobs unchanged under blobs/sha256 (the manifest too),
        // manifest.json and repositories beside the layout's oci-layout and index.json.
        let members = try CopyKit.shell("python3 -c 'import sys,tarfile; print(\" \".join(sorted(tarfile.open(sys.argv[1]).getnames())))' \"$1\"", [archive])
        for blob in (fixture.layers ?? []) + [fixture.digest] { #expect(members.contains("blobs/sha256/" + blob.dropFirst(7))) }
        for file in ["manifest.json", "repositories", "index.json", "oci-layout"] { #expect(members.contains(file)) }
        // What samforge printed is what a reader of the archive gets back.
        #expect(try CopyKit.succeed(["digest", "docker-archive:\(archive)"]).lastLine == fixture.digest)

        let target = CopyKit.newRepository("fromarchive")
        try CopyKit.succeed(["copy", "docker-archive:\(archive)", target + ":back"])
        let manifest = try CopyKit.skopeoInspect("docker://\(target):back", raw: true)
        #expect(CopyKit.configDigest(ofManifest: manifest) == fixture.config_digest)
        #expect(CopyKit.layerDigests(ofManifest: manifest) == fixture.layers)
    }

    @Test func dockerArchiveTakesAmd64FromAnIndex() throws {
        let amd64 = try CopyKit.fixture(Self.nodeAMD64)
        let archive = try CopyKit.temporaryDirectory() + "/list.tar"
        let result = try CopyKit.succeed(["copy", "\(plain)/\(Self.nodeList)", "docker-archive:\(archive)"])
        #expect(result.stderr.contains("platform: linux/amd64"))
        // Without a REF the archive is tagged with the source's name, as docker save does.
        let manifest = try CopyKit.shell("python3 -c 'import sys,tarfile; sys.stdout.write(tarfile.open(sys.argv[1]).extractfile(\"manifest.json\").read().decode())' \"$1\"", [archive])
        #expect(manifest.contains("\"RepoTags\":[\"\(plain)/\(Self.nodeList)\"]"))
        #expect(manifest.contains("blobs/sha256/" + String(amd64.config_digest?.dropFirst(7) ?? "?")))
    }

    @Test func tokenRegistryWithEnvironmentCredentials() throws {
        let fixture = try CopyKit.fixture(Self.pythonIndex)
        let target = CopyKit.newRepository("token", host: TestWorld.token) + ":1"
        let withCreds = ["DOCKER_USERNAME": TestWorld.tokenUser, "DOCKER_PASSWORD": TestWorld.tokenPassword, "DOCKER_CONFIG": try CopyKit.temporaryDirectory()]
        try CopyKit.succeed(["copy", "\(plain)/\(Self.pythonIndex)", target], environment: withCreds)
        #expect(try CopyKit.rawDigest("docker://\(target)", creds: "\(TestWorld.tokenUser):\(TestWorld.tokenPassword)") == fixture.digest)

        let anonymous = try CopyKit.samforge(["copy", "\(plain)/\(Self.pythonIndex)", target],
                                            environment: ["DOCKER_USERNAME": "", "DOCKER_PASSWORD": "", "DOCKER_CONFIG": try CopyKit.temporaryDirectory()])
        #expect(anonymous.status == 1)
        #expect(CopyKit.errorLine(anonymous).contains("authentication required"))
    }

    @Test func basicRegistryWithDockerConfig() throws {
        let fixture = try CopyKit.fixture(Self.nodeList)
        let config = try TestWorld.dockerConfig(host: TestWorld.basic, user: TestWorld.basicUser, password: TestWorld.basicPassword)
        let target = CopyKit.newRepository("basic", host: TestWorld.basic) + ":1"
        let result = try CopyKit.succeed(["copy", "\(plain)/\(Self.nodeList)", target], environment: ["DOCKER_CONFIG": config])
        #expect(try CopyKit.summary(result).copied == 5)
        #expect(try CopyKit.rawDigest("docker://\(target)", creds: "\(TestWorld.basicUser):\(TestWorld.basicPassword)") == fixture.digest)
    }

    @Test func allTagsCopiesEveryTag() throws {
        let target = CopyKit.newRepository("alltags")
        let result = try CopyKit.succeed(["copy", "--all-tags", "\(plain)/sam/build-nodejs18.x", target])
        let tags = ["1.143.0", "1.143.0-20250502200316-arm64", "1.143.0-20250502200316-x86_64"]
        let listed = try CopyKit.skopeo(["list-tags", "--tls-verify=false", "docker://\(target)"])["Tags"] as? [String]
        #expect(listed?.sorted() == tags)
        for tag in tags {
            let digest = try CopyKit.fixture("sam/build-nodejs18.x:\(tag)").digest
            #expect(result.stdout.contains("\(target):\(tag)@\(digest)"))
            #expect(try CopyKit.rawDigest("docker://\(target):\(tag)") == digest)
        }
    }

    @Test func digestFileHoldsTheDigest() throws {
        let fixture = try CopyKit.fixture(Self.pythonIndex)
        let file = try CopyKit.temporaryDirectory() + "/digest"
        try CopyKit.succeed(["copy", "-q", "--digest-file", file, "\(plain)/\(Self.pythonIndex)", CopyKit.newRepository("digestfile") + ":1"])
        #expect(try String(contentsOfFile: file, encoding: .utf8) == fixture.digest)
    }

    /// Inputs a user can get wrong: one `samforge: error:` line and the documented exit code.
    @Test(arguments: [
        (["copy", "s3:/bucket/image", "oci:/tmp/x"], Int32(2), "unknown location prefix \"s3:\""),
        (["copy", "oci:/nonexistent/samforge-layout:1", "oci:/tmp/x"], 2, "oci:/nonexistent/samforge-layout:1: no such directory"),
        (["copy", "docker-archive:/nonexistent/image.tar", "oci:/tmp/x"], 2, "docker-archive:/nonexistent/image.tar: no such file"),
        (["copy", "--jobs", "0", "localhost:1/a:b", "oci:/tmp/x"], 2, "--jobs must be between 1 and 64"),
        (["copy", "--all-tags", "localhost:1/a", "oci:/tmp/x"], 2, "--all-tags copies every tag of one registry repository to another"),
        (["copy", "--all-tags", "localhost:1/a:v1", "localhost:1/b"], 2, "--all-tags takes repositories without a tag"),
        (["copy", "--platform", "linux", "localhost:1/a:b", "oci:/tmp/x"], 2, "invalid platform \"linux\""),
        (["copy", "localhost:1/a:b", "docker-archive:/nonexistent/dir/x.tar"], 2, "no such directory /nonexistent/dir"),
    ])
    func badInputs(arguments: [String], status: Int32, message: String) throws {
        let result = try CopyKit.samforge(arguments)
        #expect(result.status == status)
        #expect(CopyKit.errorLine(result).contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test func brokenLayoutsAndMissingTags() throws {
        let directory = try CopyKit.temporaryDirectory()
        let target = CopyKit.newRepository("never")
        try FileManager.default.createDirectory(atPath: directory + "/plain-dir", withIntermediateDirectories: true)
        let notLayout = try CopyKit.samforge(["copy", "oci:\(directory)/plain-dir", target])
        #expect(notLayout.status == 2)
        #expect(CopyKit.errorLine(notLayout).contains("not an OCI image layout (no oci-layout file"))

        try FileManager.default.createDirectory(atPath: directory + "/corrupt", withIntermediateDirectories: true)
        try Data("{\"imageLayoutVersion\":\"1.0.0\"}".utf8).write(to: URL(fileURLWithPath: directory + "/corrupt/oci-layout"))
        try Data("[1,".utf8).write(to: URL(fileURLWithPath: directory + "/corrupt/index.json"))
        let corrupt = try CopyKit.samforge(["copy", "oci:\(directory)/corrupt", target])
        #expect(corrupt.status == 1)
        #expect(CopyKit.errorLine(corrupt).contains("corrupt index.json"))

        try CopyKit.succeed(["copy", "-q", "\(plain)/\(Self.pythonAMD64)", "oci:\(directory)/layout:present"])
        let missingTag = try CopyKit.samforge(["copy", "oci:\(directory)/layout:absent", target])
        #expect(missingTag.status == 1)
        #expect(CopyKit.errorLine(missingTag).contains("no image tagged \"absent\" (available: present)"))

        let missingRemote = try CopyKit.samforge(["copy", "\(plain)/sam/build-nodejs18.x:no-such-tag", "oci:\(directory)/other"])
        #expect(missingRemote.status == 1)
        #expect(CopyKit.errorLine(missingRemote).contains("manifest unknown"))
        // The failed copy leaves no empty layout behind.
        #expect(!FileManager.default.fileExists(atPath: directory + "/other"))
    }
}
