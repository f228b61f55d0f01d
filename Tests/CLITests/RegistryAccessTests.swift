import Foundation
import TestSupport
import Testing

/// `samforge inspect` as a user runs it, against each registry of the test world, and the
/// one-line errors (with their exit codes) of every failure a user can cause.
@Suite("inspect across registries and its errors", .enabled(if: TestWorld.available))
struct RegistryAccessTests {
    let nodeList = "sam/build-nodejs18.x:1.143.0"

    struct Inspected: Decodable {
        var digest: String
        var manifestDigest: String
        var architecture: String?
        var sam: SAM?
        struct SAM: Decodable { var runtime: String; var version: String }
    }

    func inspect(_ arguments: [String], environment: [String: String] = [:]) throws -> (CommandResult, Inspected?) {
        let result = try Command.samforge(["inspect", "--json"] + arguments, environment: environment)
        return (result, try? JSONDecoder().decode(Inspected.self, from: Data(result.stdout.utf8)))
    }

    @Test func plainRegistry() throws {
        let (result, report) = try inspect(["\(TestWorld.plain)/\(nodeList)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(report?.digest == TestWorld.fixtures[nodeList]?.digest)
        #expect(report?.manifestDigest == TestWorld.fixtures[nodeList]?.manifests?["linux/amd64"])
        #expect(report?.architecture == "amd64")
        #expect(report?.sam?.runtime == "nodejs18.x")
        #expect(report?.sam?.version == "1.143.0")
    }

    @Test func basicRegistryWithDockerConfig() throws {
        let config = try TestWorld.dockerConfig(host: TestWorld.basic, user: TestWorld.basicUser, password: TestWorld.basicPassword)
        let (result, report) = try inspect(["\(TestWorld.basic)/\(nodeList)"], environment: ["DOCKER_CONFIG": config])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(report?.digest == TestWorld.fixtures[nodeList]?.digest)
    }

    @Test func tokenRegistryAnonymousPull() throws {
        let (result, report) = try inspect(["\(TestWorld.token)/\(nodeList)"], environment: ["DOCKER_CONFIG": "/nonexistent"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(report?.digest == TestWorld.fixtures[nodeList]?.digest)
    }

    @Test func tlsRegistryWithCAFile() throws {
        let (result, report) = try inspect(["--ca-file", TestWorld.caFile, "\(TestWorld.tls)/\(nodeList)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(report?.digest == TestWorld.fixtures[nodeList]?.digest)
    }

    @Test func platformSelection() throws {
        let (result, report) = try inspect(["--platform", "linux/arm64", "\(TestWorld.plain)/\(nodeList)"])
        #expect(result.status == 0)
        #expect(report?.manifestDigest == TestWorld.fixtures[nodeList]?.manifests?["linux/arm64"])
        #expect(report?.architecture == "arm64")
    }

    struct Failure: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: [String]
        let environment: [String: String]
        let status: Int32
        let message: String
        var testDescription: String { name }
    }

    static var failures: [Failure] {
        let basicBad = (try? TestWorld.dockerConfig(host: TestWorld.basic, user: TestWorld.basicUser, password: "wrong-password")) ?? ""
        let tokenBad = (try? TestWorld.dockerConfig(host: TestWorld.token, user: TestWorld.tokenUser, password: "wrong-password")) ?? ""
        return [
            Failure(name: "malformed reference", arguments: ["Upper/Case:tag"], environment: [:], status: 2, message: "must be lowercase"),
            Failure(name: "bad platform", arguments: ["--platform", "linux", "\(TestWorld.plain)/x:y"], environment: [:], status: 2, message: "invalid platform"),
            Failure(name: "unknown host", arguments: ["no-such-registry.invalid/a/b:1"], environment: [:], status: 1,
                    message: "no-such-registry.invalid/a/b:1: cannot reach registry no-such-registry.invalid: unknown host"),
            Failure(name: "refused connection", arguments: ["127.0.0.1:1/a/b:1"], environment: [:], status: 1,
                    message: "127.0.0.1:1/a/b:1: cannot reach registry 127.0.0.1:1: connection refused"),
            Failure(name: "TLS without the CA", arguments: ["\(TestWorld.tls)/sam/build-nodejs18.x:1.143.0"], environment: [:], status: 1,
                    message: "TLS verification failed for \(TestWorld.tls)"),
            Failure(name: "basic auth missing", arguments: ["\(TestWorld.basic)/sam/build-nodejs18.x:1.143.0"], environment: ["DOCKER_CONFIG": "/nonexistent"], status: 1,
                    message: "authentication required by \(TestWorld.basic)"),
            Failure(name: "basic auth wrong", arguments: ["\(TestWorld.basic)/sam/build-nodejs18.x:1.143.0"], environment: ["DOCKER_CONFIG": basicBad], status: 1,
                    message: "\(TestWorld.basic)"),
            Failure(name: "token auth wrong", arguments: ["\(TestWorld.token)/sam/build-nodejs18.x:1.143.0"], environment: ["DOCKER_CONFIG": tokenBad], status: 1,
                    message: "authentication failed for \(TestWorld.token)"),
            Failure(name: "missing tag", arguments: ["\(TestWorld.plain)/sam/build-nodejs18.x:9.9.9"], environment: [:], status: 1,
                    message: "\(TestWorld.plain)/sam/build-nodejs18.x:9.9.9: manifest unknown (no such tag; samforge tags \(TestWorld.plain)/sam/build-nodejs18.x lists the tags)"),
            Failure(name: "missing repository", arguments: ["\(TestWorld.plain)/nobody/here:1"], environment: [:], status: 1,
                    message: "nobody/here"),
            Failure(name: "platform not in index", arguments: ["--platform", "linux/s390x", "\(TestWorld.plain)/sam/build-nodejs18.x:1.143.0"], environment: [:], status: 1,
                    message: "no linux/s390x image"),
        ]
    }

    @Test(arguments: failures)
    func failsWithOneClearLine(_ failure: Failure) throws {
        let result = try Command.samforge(["inspect"] + failure.arguments, environment: failure.environment)
        #expect(result.status == failure.status)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 || failure.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(failure.message), "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("wrong-password"))
        #expect(result.stdout.isEmpty)
    }
}

@Suite("test world")
struct TestWorldPresenceTests {
    /// scripts/test sets SAMFORGE_TEST_REQUIRE_WORLD=1: integration suites must not be skipped silently.
    @Test func worldIsUpWhenRequired() {
        #expect(!TestWorld.required || TestWorld.available, "scripts/test promised registries but SAMFORGE_TEST_PLAIN is unset")
    }
}
