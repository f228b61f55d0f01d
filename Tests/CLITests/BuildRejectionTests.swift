import Foundation
import Testing
import TestSupport

/// Every input problem is found before any network traffic: all references point at
/// 127.0.0.1:1, where nothing listens, so a request would fail with exit 1 "cannot reach",
/// and `--verbose` would log it.
@Suite("samforge build: rejected input, exit 2, no traffic")
struct BuildRejectionTests {
    static let unreachable = "127.0.0.1:1"

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let arguments: [String]
        let message: String
        var environment: [String: String] = [:]
        var testDescription: String { label }
    }

    static func arguments(base: String = "\(unreachable)/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64",
                          extra: [String] = []) -> [String] {
        ["build", "--verbose", "--sam-base-image", base, "--plugin-image", "\(unreachable)/harness/aws-sam-plugin:1",
         "--version", "1.1.2", "--target-repo", "\(unreachable)/test/target", "--no-go-template",
         "--docker-cli-image", "\(unreachable)/library/docker:26.0.1-cli"] + extra
    }

    static func base(_ tail: String) -> [String] { arguments(base: "\(unreachable)/\(tail)") }

    static let cases: [Case] = [
        Case(label: "arm64 tag", arguments: base("sam/build-nodejs18.x:1.143.0-20250502200316-arm64"), message: "arm64 images are not supported"),
        Case(label: "latest", arguments: base("sam/build-nodejs18.x:latest"), message: "floating tag \"latest\""),
        Case(label: "latest-x86_64", arguments: base("sam/build-nodejs18.x:latest-x86_64"), message: "floating tag \"latest-x86_64\""),
        Case(label: "X.Y floating", arguments: base("sam/build-nodejs18.x:1.143"), message: "floating version tag \"1.143\""),
        Case(label: "X floating", arguments: base("sam/build-nodejs18.x:1"), message: "floating version tag \"1\""),
        Case(label: "untagged", arguments: base("sam/build-nodejs18.x"), message: "a full version tag is required"),
        Case(label: "digest only", arguments: base("sam/build-nodejs18.x@sha256:" + String(repeating: "a", count: 64)),
             message: "a full version tag is required"),
        Case(label: "not build-*", arguments: base("sam/emulation-nodejs18.x:1.143.0"), message: "build-RUNTIME"),
        Case(label: "env base", arguments: ["build", "--verbose", "--plugin-image", "\(unreachable)/p:1", "--version", "1", "--target-repo", "\(unreachable)/t"],
             message: "floating tag \"latest\"", environment: ["SAM_BASE_IMAGE": "\(unreachable)/sam/build-python3.12:latest"]),
        Case(label: "missing everything", arguments: ["build", "--verbose"],
             message: "missing --sam-base-image (or SAM_BASE_IMAGE), --plugin-image (or BASE_IMAGE / SCRATCH_IMAGE), --version (or VERSION), --target-repo (or TARGET_REPO)",
             environment: ["SAM_BASE_IMAGE": "", "BASE_IMAGE": "", "SCRATCH_IMAGE": "", "VERSION": "", "TARGET_REPO": ""]),
        Case(label: "bad VERSION", arguments: arguments(extra: ["--version", "1.0/x"]), message: "--version \"1.0/x\": it starts the image tag"),
        Case(label: "TARGET_REPO with tag", arguments: arguments(extra: ["--target-repo", "\(unreachable)/test/target:v1"]), message: "--target-repo \"\(unreachable)/test/target:v1\": give a repository without tag or digest"),
        Case(label: "go-template conflict", arguments: arguments(extra: ["--go-template", "http://\(unreachable)/gt"]),
             message: "--go-template and --no-go-template cannot be used together"),
        Case(label: "docker CLI conflict", arguments: arguments(extra: ["--no-docker-cli"]), message: "choose one of --docker-cli-image"),
        Case(label: "arm64 platform", arguments: arguments(extra: ["--platform", "linux/arm64"]), message: "linux/amd64 only"),
        Case(label: "missing local docker file", arguments: ["build", "--verbose", "--sam-base-image", "\(unreachable)/sam/build-nodejs18.x:1.143.0",
                                                              "--plugin-image", "\(unreachable)/p:1", "--version", "1", "--target-repo", "\(unreachable)/t",
                                                              "--docker-cli-file", "/nonexistent/docker.tgz"],
             message: "--docker-cli-file /nonexistent/docker.tgz: no such readable file"),
        Case(label: "output-env in a missing directory", arguments: arguments(extra: ["--output-env", "/nonexistent/dir/out.env"]),
             message: "--output-env /nonexistent/dir/out.env"),
        Case(label: "bad SOURCE_DATE_EPOCH", arguments: arguments(), message: "invalid SOURCE_DATE_EPOCH", environment: ["SOURCE_DATE_EPOCH": "soon"]),
    ]

    @Test(arguments: cases)
    func rejected(_ case_: Case) throws {
        let result = try Command.samforge(case_.arguments, environment: case_.environment)
        #expect(result.status == 2, "exit \(result.status): \(result.stderr)")
        #expect(result.errorLine.contains(case_.message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").filter { $0.hasPrefix("samforge: error:") }.count == 1)
        #expect(!result.stderr.contains("GET ") && !result.stderr.contains("cannot reach"), "network traffic: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// The contrast that makes the cases above meaningful: valid input does reach the network.
    @Test func validInputDoesReachTheNetwork() throws {
        let result = try Command.samforge(Self.arguments(extra: ["--cache-dir", try TemporaryDirectory().path]))
        #expect(result.status == 1)
        #expect(result.errorLine.contains("cannot reach registry 127.0.0.1:1"), "\(result.stderr)")
    }
}
