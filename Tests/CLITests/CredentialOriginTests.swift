import Foundation
import Testing
import TestSupport

/// A Basic-auth registry that refuses the credentials it was given: the error says they were
/// rejected and where they came from (DOCKER_PASSWORD, the config file and its key, a credential
/// helper), as the token path does; never the secret.
@Suite("Rejected credentials say where they came from", .enabled(if: TestWorld.available))
struct CredentialOriginTests {
    static let wrong = "not-the-password"

    func expectRejected(_ result: CommandResult, origin: String) {
        #expect(result.status == 1)
        #expect(result.errorLine.contains("authentication failed for \(TestWorld.basic): the registry rejected the credentials (HTTP 401"),
                "\(result.stderr)")
        #expect(result.errorLine.hasSuffix("(the credentials come from \(origin))"), "\(result.stderr)")
        #expect(!result.stderr.contains(Self.wrong))
    }

    @Test func fromDockerPassword() throws {
        let result = try CopyKit.samforge(["copy", "--quiet", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", CopyKit.newRepository("origin", host: TestWorld.basic) + ":1"],
                                          environment: ["DOCKER_USERNAME": TestWorld.basicUser, "DOCKER_PASSWORD": Self.wrong])
        expectRejected(result, origin: "DOCKER_USERNAME/DOCKER_PASSWORD")
    }

    @Test func fromTheConfigFile() throws {
        let config = try TestWorld.dockerConfig(host: TestWorld.basic, user: TestWorld.basicUser, password: Self.wrong)
        let result = try CopyKit.samforge(["inspect", "\(TestWorld.basic)/\(BuildHarness.nodeBase)"], environment: ["DOCKER_CONFIG": config])
        expectRejected(result, origin: "\(config)/config.json, auths entry \"\(TestWorld.basic)\"")
    }

    @Test func fromACredentialHelper() throws {
        let directory = try CopyKit.temporaryDirectory()
        let reply = "{\"Username\":\"\(TestWorld.basicUser)\",\"Secret\":\"\(Self.wrong)\"}"
        let path = try LoginTests.installHelper("origin-test", for: TestWorld.basic, in: directory, script: "cat >/dev/null; echo '\(reply)'")
        let result = try CopyKit.samforge(["tags", "\(TestWorld.basic)/sam/build-nodejs18.x"], environment: ["DOCKER_CONFIG": directory, "PATH": path])
        expectRejected(result, origin: "credential helper docker-credential-origin-test (credHelpers in \(directory)/config.json)")
    }
}
