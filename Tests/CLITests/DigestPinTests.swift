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
        // Since input images are recorded by image ID (the same from any location; see
        // LocationIndependenceTests): the one change from the earlier sha256:0414c225….
        }, digest: "sha256:4ce294db25d75da8d5d020976a84acdaaa59546dff3d7080a8b02568deb1107b"),
        Case(name: "build on the OCI base, docker CLI from the static tgz", arguments: { target, cache in
            ["build", "--sam-base-image", "\(host)/\(BuildHarness.pythonBase)", "--plugin-image", "\(host)/\(BuildHarness.plugin)",
             "--version", "1.1.2", "--target-repo", target, "--cache-dir", cache,
             "--go-template", TestWorld.goTemplateURL, "--docker-cli-file", TestWorld.dockerTgzURL]
        // Image ID in the history: earlier sha256:f264003c….
        }, digest: "sha256:efbade2994acc079663d69ed6702ca4291d901aca5ceb85514ea6008e4e7a799"),
        Case(name: "append: a file with a mode, a tree from another image, config changes", arguments: { target, cache in
            ["append", "--file", DigestPinTests.helloFile + ":/opt/hello.txt:0755",
             "--copy-from", "\(host)/\(BuildHarness.plugin):/opt/harness/scripts:/opt/tools",
             "--env", "A=B", "--label", "x=y", "--entrypoint", "[\"/bin/sh\"]", "--workdir", "/opt", "--user", "1000",
             "--cache-dir", cache, "\(host)/\(BuildHarness.nodeBase)", target + ":1"]
        // Since the one image pipeline, --copy-from keeps hard links (common.sh and
        // common-link.sh are one inode): a change from the earlier sha256:bdb354a8…; since
        // input images are recorded by image ID, from sha256:8cf21564….
        }, digest: "sha256:0d129a25e89120833fe56f84e14ac3742483d1c94da588f92d15b5fc852b80ad"),
    ]

    /// `hi\n`, mode 0644 (the mode is overridden to 0755 by the argument).
    static let helloFile: String = {
        let file = ((try? TemporaryDirectory())?.path ?? NSTemporaryDirectory()) + "/hello.txt"
        _ = FileManager.default.createFile(atPath: file, contents: Data("hi\n".utf8), attributes: [.posixPermissions: 0o644])
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
