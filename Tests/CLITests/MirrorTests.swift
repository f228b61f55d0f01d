import Foundation
import Testing
import TestSupport

/// registries.conf mirrors with two real registries: the primary is the plain registry, the
/// mirror the token registry (anonymous pulls; it holds the same fixtures), each behind a
/// private proxy that counts what reaches it; a port where nothing listens is a mirror that is
/// down. Pulls try the mirrors in order and fall back to the primary; pushes never go to a mirror.
@Suite("Registry mirrors", .enabled(if: TestWorld.available))
struct MirrorTests {
    let primary: PrivateFaultProxy
    let mirror: PrivateFaultProxy
    let down: String

    init() throws {
        primary = try PrivateFaultProxy(upstream: TestWorld.plain)
        mirror = try PrivateFaultProxy(upstream: TestWorld.token)
        down = "127.0.0.1:\(try ProxyErrorTests.freePort())"
    }

    /// A registries.conf for the primary, with the down mirror first; its path.
    func conf(extra: String = "", mirrorOptions: String = "", blocked: Bool = false) throws -> String {
        let path = try CopyKit.temporaryDirectory() + "/registries.conf"
        try """
        unqualified-search-registries = ["docker.io"]

        [[registry]]
        location = "\(primary.address)"
        blocked = \(blocked)
        [[registry.mirror]]
        location = "\(down)/nothing"
        [[registry.mirror]]
        location = "\(mirror.address)"
        \(mirrorOptions)
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func samforge(_ arguments: [String], conf: String) throws -> CommandResult {
        try CopyKit.samforge(arguments, environment: ["CONTAINERS_REGISTRIES_CONF": conf, "DOCKER_CONFIG": try CopyKit.temporaryDirectory()])
    }

    static let image = "sam/build-nodejs18.x:1.143.0"

    func layoutDigest(_ result: CommandResult) -> String? { result.lastLine.split(separator: "@").last.map(String.init) }

    @Test func pullsComeFromTheMirror() throws {
        let result = try samforge(["copy", "--quiet", "\(primary.address)/\(Self.image)", "oci:\(try CopyKit.temporaryDirectory())/out:v1"], conf: try conf())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(layoutDigest(result) == TestWorld.fixtures[Self.image]?.digest)
        let asked = try primary.proxy.requests()
        #expect(asked.isEmpty, "the primary was asked: \(asked)")
        #expect(try mirror.proxy.requests(matching: "GET /v2/sam/build-nodejs18.x/blobs/").count == 5)
    }

    @Test func whatTheMirrorLacksComesFromThePrimary() throws {
        let repository = TestWorld.uniqueRepository("primary-only")
        try CopyKit.succeed(["copy", "--quiet", "\(TestWorld.plain)/library/docker:26.0.1-cli", "\(TestWorld.plain)/\(repository):v1"])
        let result = try samforge(["copy", "--quiet", "\(primary.address)/\(repository):v1", "oci:\(try CopyKit.temporaryDirectory())/out:v1"], conf: try conf())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(layoutDigest(result) == TestWorld.fixtures["library/docker:26.0.1-cli"]?.digest)
        #expect(try mirror.proxy.requests(matching: "GET /v2/\(repository)/manifests/v1").count == 1)
        #expect(try primary.proxy.requests(matching: "GET /v2/\(repository)/manifests/v1").count == 1)
    }

    @Test func pushesNeverGoToAMirror() throws {
        let target = "\(primary.address)/\(TestWorld.uniqueRepository("mirror-push")):v1"
        let result = try samforge(["copy", "--quiet", "\(TestWorld.plain)/library/docker:26.0.1-cli", target], conf: try conf())
        #expect(result.status == 0, "\(result.stderr)")
        let asked = try mirror.proxy.requests()
        #expect(asked.isEmpty, "the mirror was asked: \(asked)")
        #expect(try !primary.proxy.puts(matching: "/manifests/v1").isEmpty)
    }

    /// The digest check is what makes a mirror safe: one that serves wrong bytes is caught,
    /// dropped for the run, and the primary serves the blob instead.
    @Test func aMirrorServingWrongBytesIsNotTrusted() throws {
        try mirror.proxy.arm("corrupt", match: "/blobs/sha256:", count: 100)
        let result = try samforge(["copy", "--quiet", "\(primary.address)/\(Self.image)", "oci:\(try CopyKit.temporaryDirectory())/out:v1"], conf: try conf())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(layoutDigest(result) == TestWorld.fixtures[Self.image]?.digest)
        #expect(result.stderr.contains("served wrong data"), "\(result.stderr)")
        #expect(try !primary.proxy.requests(matching: "/blobs/sha256:").isEmpty)
    }

    @Test func digestOnlyMirrorsSkipTagPulls() throws {
        let result = try samforge(["copy", "--quiet", "\(primary.address)/\(Self.image)", "oci:\(try CopyKit.temporaryDirectory())/out:v1"],
                                  conf: try conf(mirrorOptions: "pull-from-mirror = \"digest-only\""))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try primary.proxy.requests(matching: "/manifests/1.143.0").filter { $0.hasPrefix("GET ") }.count == 1)
        #expect(try mirror.proxy.requests(matching: "/manifests/1.143.0").isEmpty)
        #expect(try mirror.proxy.requests(matching: "/manifests/sha256:").count == 2)
    }

    @Test func blockedRegistryIsRefused() throws {
        let conf = try conf(blocked: true)
        for arguments in [["copy", "\(primary.address)/\(Self.image)", "oci:\(try CopyKit.temporaryDirectory())/out:v1"],
                          ["copy", "\(TestWorld.plain)/library/docker:26.0.1-cli", "\(primary.address)/test/blocked:v1"],
                          ["tags", "\(primary.address)/sam/build-nodejs18.x"]] {
            let result = try samforge(arguments, conf: conf)
            #expect(result.status == 1)
            #expect(CopyKit.errorLine(result).contains("the registry is blocked by \(conf)"), "\(result.stderr)")
        }
        #expect(try primary.proxy.requests().isEmpty)
        #expect(try mirror.proxy.requests().isEmpty)
    }

    @Test func userConfigIsReadWhenNoVariableNamesOne() throws {
        let home = try CopyKit.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: home + "/.config/containers", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try conf(), toPath: home + "/.config/containers/registries.conf")
        let result = try CopyKit.samforge(["copy", "--quiet", "\(primary.address)/\(Self.image)", "oci:\(try CopyKit.temporaryDirectory())/out:v1"],
                                          environment: ["HOME": home, "CONTAINERS_REGISTRIES_CONF": "", "DOCKER_CONFIG": home])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try primary.proxy.requests().isEmpty)
    }

    @Test func unreadableConfigIsAnError() throws {
        let path = try CopyKit.temporaryDirectory() + "/registries.conf"
        try "[[registry]\nlocation = ".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try samforge(["tags", "\(TestWorld.plain)/sam/build-nodejs18.x"], conf: path)
        #expect(result.status == 1)
        #expect(CopyKit.errorLine(result).contains("cannot read registries.conf \(path)"), "\(result.stderr)")
        let missing = try samforge(["tags", "\(TestWorld.plain)/sam/build-nodejs18.x"], conf: path + ".none")
        #expect(missing.status == 1)
        #expect(CopyKit.errorLine(missing).contains("cannot read registries.conf \(path).none (from CONTAINERS_REGISTRIES_CONF): no such file or directory"),
                "\(missing.stderr)")
        let directory = try samforge(["tags", "\(TestWorld.plain)/sam/build-nodejs18.x"], conf: try CopyKit.temporaryDirectory())
        #expect(directory.status == 1)
        #expect(CopyKit.errorLine(directory).contains("(from CONTAINERS_REGISTRIES_CONF): is a directory"), "\(directory.stderr)")
    }
}
