import Foundation
import OCI
import Testing
@testable import SAM

private let base = "public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64"

private func options(_ edit: (inout SAMBuildOptions) -> Void = { _ in }) -> SAMBuildOptions {
    var options = SAMBuildOptions()
    options.samBaseImage = base
    options.pluginImage = "harness/aws-sam-plugin:1.1.2-beta-base-image"
    options.version = "1.1.2"
    options.targetRepo = "registry.example.com/aws-sam-plugin"
    edit(&options)
    return options
}

@Suite("Build request: flags, environment fallbacks, conflicts")
struct SAMBuildRequestTests {
    @Test func defaults() throws {
        let request = try SAMBuildRequest(options: options(), environment: [:])
        #expect(request.base.runtime == "nodejs18.x")
        #expect(request.plugin.description == "docker.io/harness/aws-sam-plugin:1.1.2-beta-base-image")
        #expect(request.primaryTag == "1.1.2-nodejs18.x-1.143.0-linux-amd64")
        #expect(request.target.reference?.repositoryName == "registry.example.com/aws-sam-plugin")
        #expect(request.goTemplate == .url(SAMRecipe.defaultGoTemplateURL))
        #expect(request.dockerCLI == .image(.registry(try Reference(parsing: "docker.io/library/docker:26.0.1-cli"))))
        #expect(request.sourceDateEpoch == nil)
        #expect(!request.timestampTag)
    }

    @Test func environmentFallbacks() throws {
        let environment = [
            "SAM_BASE_IMAGE": "public.ecr.aws/sam/build-python3.12:1.143.0-20250822194415-x86_64",
            "BASE_IMAGE": "", "SCRATCH_IMAGE": "harness/aws-sam-plugin:scratch",
            "VERSION": "2.0.0", "TARGET_REPO": "me/aws-sam-plugin", "SOURCE_DATE_EPOCH": "1700000000",
        ]
        let request = try SAMBuildRequest(options: SAMBuildOptions(), environment: environment)
        #expect(request.base.runtime == "python3.12")
        #expect(request.pluginText == "harness/aws-sam-plugin:scratch")
        #expect(request.primaryTag == "2.0.0-python3.12-1.143.0-linux-amd64")
        #expect(request.target.text == "me/aws-sam-plugin")
        #expect(request.sourceDateEpoch == 1_700_000_000)
    }

    @Test func flagsWinOverEnvironmentAndBaseImageOverScratchImage() throws {
        let environment = ["BASE_IMAGE": "env/plugin:1", "SCRATCH_IMAGE": "env/scratch:1", "VERSION": "9.9.9"]
        let fromFlags = try SAMBuildRequest(options: options(), environment: environment)
        #expect(fromFlags.version == "1.1.2")
        #expect(fromFlags.pluginText == "harness/aws-sam-plugin:1.1.2-beta-base-image")
        let fromEnvironment = try SAMBuildRequest(options: options { $0.pluginImage = nil }, environment: environment)
        #expect(fromEnvironment.pluginText == "env/plugin:1")
    }

    @Test func missingInputsAreListedTogether() {
        #expect(throws: SAMInputError("missing --sam-base-image (or SAM_BASE_IMAGE), --plugin-image (or BASE_IMAGE / SCRATCH_IMAGE), --version (or VERSION), --target-repo (or TARGET_REPO)")) {
            try SAMBuildRequest(options: SAMBuildOptions(), environment: ["VERSION": ""])
        }
    }

    @Test func baseRejectionIsTheGrammarError() {
        #expect(throws: SAMBaseReference.RejectionError.self) {
            try SAMBuildRequest(options: options { $0.samBaseImage = "public.ecr.aws/sam/build-nodejs18.x:latest" }, environment: [:])
        }
    }

    struct GoTemplateCase: Sendable, CustomTestStringConvertible {
        let environment: [String: String]
        let installs: Bool
        var testDescription: String { environment.isEmpty ? "(empty)" : environment.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ") }
    }

    @Test(arguments: [
        GoTemplateCase(environment: [:], installs: true),
        GoTemplateCase(environment: ["INSTALL_GO_TEMPLATE_BINARY": "true"], installs: true),
        GoTemplateCase(environment: ["INSTALL_GO_TEMPLATE_BINARY": ""], installs: true),
        GoTemplateCase(environment: ["INSTALL_GO_TEMPLATE_BINARY": "false"], installs: false),
        GoTemplateCase(environment: ["INSTALL_GO_TEMPLATE_BINARY": "TRUE"], installs: false),
        GoTemplateCase(environment: ["UNIFIED_PIPELINE": "true"], installs: false),
        GoTemplateCase(environment: ["UNIFIED_PIPELINE": "false"], installs: true),
        GoTemplateCase(environment: ["INSTALL_GO_TEMPLATE_BINARY": "true", "UNIFIED_PIPELINE": "true"], installs: false),
    ])
    func goTemplateFollowsTheSeedCondition(_ case_: GoTemplateCase) throws {
        let request = try SAMBuildRequest(options: options(), environment: case_.environment)
        #expect((request.goTemplate != nil) == case_.installs)
    }

    @Test func explicitGoTemplateWinsOverTheEnvironment() throws {
        let request = try SAMBuildRequest(options: options { $0.goTemplate = "https://example.com/gt" }, environment: ["UNIFIED_PIPELINE": "true"])
        #expect(request.goTemplate == .url("https://example.com/gt"))
    }

    @Test func localToolFiles() throws {
        let file = NSTemporaryDirectory() + "samforge-tool-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let request = try SAMBuildRequest(options: options { $0.goTemplate = file; $0.dockerCLIFile = "file://" + file }, environment: [:])
        #expect(request.goTemplate == .local(file))
        #expect(request.dockerCLI == .file(.local(file)))
    }

    struct UsageCase: Sendable, CustomTestStringConvertible {
        let message: String
        let edit: @Sendable (inout SAMBuildOptions) -> Void
        var testDescription: String { message }
    }

    static let usageCases: [UsageCase] = [
        UsageCase(message: "--go-template and --no-go-template") { $0.goTemplate = "https://x/y"; $0.noGoTemplate = true },
        UsageCase(message: "choose one of --docker-cli-image") { $0.dockerCLIImage = "docker:26"; $0.noDockerCLI = true },
        UsageCase(message: "choose one of --docker-cli-image") { $0.dockerCLIImage = "docker:26"; $0.dockerCLIFile = "/x" },
        UsageCase(message: "linux/amd64 only") { $0.platform = "linux/arm64" },
        UsageCase(message: "invalid platform") { $0.platform = "amd64" },
        UsageCase(message: "--go-template /nonexistent/go-template: no such readable file") { $0.goTemplate = "/nonexistent/go-template" },
        UsageCase(message: "--docker-cli-file /tmp: no such readable file") { $0.dockerCLIFile = "/tmp" },
        UsageCase(message: "--version \"1.0/beta\": it starts the image tag") { $0.version = "1.0/beta" },
        UsageCase(message: "--target-repo \"me/plugin:latest\": give a repository without tag") { $0.targetRepo = "me/plugin:latest" },
        UsageCase(message: "--plugin-image: invalid reference \"Harness/Plugin\"") { $0.pluginImage = "Harness/Plugin" },
        UsageCase(message: "--docker-cli-image: unknown location prefix") { $0.dockerCLIImage = "docker::x" },
    ]

    @Test(arguments: usageCases)
    func usageErrors(_ case_: UsageCase) {
        do {
            _ = try SAMBuildRequest(options: options(case_.edit), environment: [:])
            Issue.record("accepted")
        } catch let error as SAMInputError {
            #expect(error.message.contains(case_.message), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func invalidSourceDateEpoch() {
        #expect(throws: SAMInputError.self) { try SAMBuildRequest(options: options(), environment: ["SOURCE_DATE_EPOCH": "yesterday"]) }
    }

    @Test(arguments: ["linux/amd64", "linux/x86_64", "LINUX/AMD64"])
    func amd64PlatformSpellings(_ platform: String) throws {
        _ = try SAMBuildRequest(options: options { $0.platform = platform }, environment: [:])
    }
}
