import Foundation
import Testing
import TestSupport

/// Users pin the digests samforge gives: for the same inputs and SOURCE_DATE_EPOCH, a build or
/// an append must keep giving exactly these, whatever is refactored underneath. The fixtures
/// are reproducible (Fixtures/build_fixtures.py), so each digest below is a fact about the
/// image bytes; a change here is a breaking change for users and must be deliberate.
@Suite("Pinned digests of fixture builds", .enabled(if: TestWorld.available))
struct DigestPinTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: @Sendable (_ target: String, _ cache: String) -> [String]
        let digest: String
        var testDescription: String { name }
    }

    static let host = TestWorld.plain

    static let cases: [Case] = [
        Case(name: "build on the Docker schema2 base, docker CLI from an image", arguments: { target, cache in
            ["build", "--sam-base-image", "\(host)/\(BuildHarness.nodeBase)", "--plugin-image", "\(host)/\(BuildHarness.plugin)",
             "--version", "1.1.2", "--target-repo", target, "--cache-dir", cache,
             "--go-template", TestWorld.goTemplateURL, "--docker-cli-image", "\(host)/\(BuildHarness.dockerCLI)"]
        }, digest: "sha256:0414c2259d91ec6cfcb8bacd1f26c7d9f552977e70d739ae6296e961a52d27a0"),
        Case(name: "build on the OCI base, docker CLI from the static tgz", arguments: { target, cache in
            ["build", "--sam-base-image", "\(host)/\(BuildHarness.pythonBase)", "--plugin-image", "\(host)/\(BuildHarness.plugin)",
             "--version", "1.1.2", "--target-repo", target, "--cache-dir", cache,
             "--go-template", TestWorld.goTemplateURL, "--docker-cli-file", TestWorld.dockerTgzURL]
        }, digest: "sha256:f264003c518b7ba733865e3b12f701754906e8a92e34b67623ef88d83ae75d8a"),
        Case(name: "append: a file with a mode, a tree from another image, config changes", arguments: { target, cache in
            ["append", "--file", DigestPinTests.helloFile + ":/opt/hello.txt:0755",
             "--copy-from", "\(host)/\(BuildHarness.plugin):/opt/harness/scripts:/opt/tools",
             "--env", "A=B", "--label", "x=y", "--entrypoint", "[\"/bin/sh\"]", "--workdir", "/opt", "--user", "1000",
             "--cache-dir", cache, "\(host)/\(BuildHarness.nodeBase)", target + ":1"]
        // Since the one image pipeline, --copy-from keeps hard links (common.sh and
        // common-link.sh are one inode): the only change from the earlier sha256:bdb354a8….
        }, digest: "sha256:8cf2156450260229c0b9a67fd1346f8de8775ab94a0ce01954e2f22bd7330dd4"),
    ]

    /// `hi\n`, mode 0644 (the mode is overridden to 0755 by the argument).
    static let helloFile: String = {
        let file = ((try? TemporaryDirectory())?.path ?? NSTemporaryDirectory()) + "/hello.txt"
        FileManager.default.createFile(atPath: file, contents: Data("hi\n".utf8), attributes: [.posixPermissions: 0o644])
        return file
    }()

    @Test(arguments: cases) func digestStaysPinned(_ pin: Case) throws {
        let target = BuildHarness.newTarget("pin")
        let result = try Command.samforge(pin.arguments(target, try TemporaryDirectory().path + "/cache"),
                                          environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.lastLine.hasSuffix("@" + pin.digest), "\(result.lastLine)")
    }
}
