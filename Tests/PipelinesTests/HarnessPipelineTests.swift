import Foundation
import Testing
import TestSupport
import Yams
@testable import Pipelines

/// Pipelines samforge prints, one per kind of input: no bases (a run-time input), bases,
/// a matrix whose entries override things (several steps), each step form, every option set.
struct PipelineCase: Sendable, CustomTestStringConvertible {
    let name: String
    let options: HarnessPipeline.Options
    let matrix: BuildMatrix?
    var testDescription: String { name }

    static let overriding = try! BuildMatrix(entries: [
        .init(samBaseImage: node),
        .init(samBaseImage: python, version: "1.1.3"),
        .init(samBaseImage: "public.ecr.aws/sam/build-java17:1.143.0", version: "1.1.3"),
        .init(samBaseImage: "public.ecr.aws/sam/build-ruby3.2:1.143.0", targetRepo: "registry.example.com/other/plugin",
              pluginImage: "registry.example.com/harness/aws-sam-plugin:1.1.3-beta-base-image"),
        .init(samBaseImage: "public.ecr.aws/sam/build-nodejs20.x:1.143.0"),
    ])

    static var all: [PipelineCase] {
        var cases: [PipelineCase] = []
        for step in HarnessPipeline.StepKind.allCases {
            var plain = HarnessPipeline.Options()
            plain.step = step
            cases.append(.init(name: "\(step) without bases", options: plain, matrix: nil))
            cases.append(.init(name: "\(step) two bases", options: plain, matrix: try! BuildMatrix(bases: [node, python])))
            cases.append(.init(name: "\(step) overriding entries", options: plain, matrix: overriding))

            var full = plain
            full.name = "SAM images 2.x"
            full.identifier = "sam_images_2"
            full.projectIdentifier = "<+project.identifier>"
            full.orgIdentifier = "platform_team"
            full.serviceRef = "noop_service"
            full.environmentRef = "<+input>"
            full.infrastructureIdentifier = "builds_cluster"
            full.kubernetesConnector = "org.builds_cluster"
            full.namespace = "sam-builds"
            full.registryConnector = "account.dockerhub"
            full.image = "registry.example.com/tools/samforge@sha256:" + String(repeating: "ab", count: 32)
            full.uid = 10001
            full.maxConcurrency = 16
            full.version = "1.1.2"
            full.pluginImage = "harness/aws-sam-plugin:1.1.2-beta-base-image"
            full.targetRepo = "registry.example.com/team/aws-sam-plugin"
            full.dockerUsername = "ci-bot"
            full.dockerPasswordSecret = "account.registry_token"
            full.timestampTag = true
            full.signKeySecret = "account.cosign_key"
            full.signKeyPasswordSecret = "cosign_key_password"
            cases.append(.init(name: "\(step) every option", options: full, matrix: overriding))
        }
        return cases
    }
}

@Suite("samforge pipeline harness: the generated pipeline")
struct HarnessPipelineTests {
    static func documents() throws -> [(name: String, text: String)] {
        try PipelineCase.all.map { case_ in
            (case_.name.replacingOccurrences(of: " ", with: "-"), try HarnessPipeline(options: case_.options, matrix: case_.matrix).yaml)
        }
    }

    @Test func passesYamllintStrict() throws {
        let result = try Validators.yamllint(try Validators.files(Self.documents()))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    /// Our own statement of the rules we rely on (Resources/harness-pipeline-constraints.schema.json).
    @Test func passesOurConstraintSchema() throws {
        let result = try Validators.jsonSchema(try Validators.resource("harness-pipeline-constraints.schema.json"),
                                               try Validators.files(Self.documents()))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    /// Harness's published schema (harness/harness-schema, v0/pipeline.json) is not reachable from
    /// CI: set SAMFORGE_HARNESS_SCHEMA to a copy of it to check every case against it too.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SAMFORGE_HARNESS_SCHEMA"] != nil))
    func passesHarnessPublishedSchema() throws {
        let schema = try #require(ProcessInfo.processInfo.environment["SAMFORGE_HARNESS_SCHEMA"])
        let result = try Validators.jsonSchema(schema, try Validators.files(Self.documents()))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    /// The constraint schema is no rubber stamp: each broken promise is refused.
    static let brokenPromises = [
        ("privileged: false", "privileged: true"),
        ("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"),
        ("runAsNonRoot: true", "runAsNonRoot: false"),
        ("runAsUser: 65532", "runAsUser: 0"),
        ("identifier: build\n", "identifier: build-1\n"),
        ("identifier: sam_image_build", "identifier: 1sam"),
        ("type: KubernetesDirect", "type: Delegate"),
        ("<+matrix.sam_base_image>", "<+matrix.sam_base_image"),
        ("/tmp/samforge-cache", "/var/run/docker.sock"),
        ("- ALL", "- NET_ADMIN"),
        ("maxConcurrency: 4", "maxConcurrency: 0"),
        ("type: Run", "type: Background"),
        ("<+secrets.getValue(\"dockerhub_pat\")>", "hunter2"),
        ("name: TARGET_REPO", "name: TARGET"),
        ("name: samforge\n", "name: samforge\n                  sharedPaths: [/var/run]\n"),
        ("  --output-env /tmp/samforge-output.env\n", "\n"),
    ]

    @Test func constraintSchemaRefusesBrokenPromises() throws {
        let text = try HarnessPipeline(options: .init(), matrix: try BuildMatrix(bases: [node])).yaml
        var documents: [(name: String, text: String)] = []
        for (index, edit) in Self.brokenPromises.enumerated() {
            try #require(text.contains(edit.0), "\(edit.0) not in the pipeline")
            documents.append(("broken-\(index)", text.replacingOccurrences(of: edit.0, with: edit.1)))
        }
        let files = try Validators.files(documents)
        let result = try Validators.run("check-jsonschema", ["-o", "json", "--schemafile",
                                                             try Validators.resource("harness-pipeline-constraints.schema.json")] + files)
        struct Report: Decodable { struct Failure: Decodable { var filename: String }; var errors: [Failure] }
        let refused = Set(try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)).errors.map(\.filename))
        for (file, edit) in zip(files, Self.brokenPromises) {
            #expect(refused.contains(file), "accepted: \(edit.1.debugDescription)")
        }
    }

    @Test(arguments: PipelineCase.all)
    func eachBaseRunsInExactlyOneStepWithItsOverrides(_ case_: PipelineCase) throws {
        let pipeline = try HarnessPipeline(options: case_.options, matrix: case_.matrix)
        let root = try #require(try Yams.compose(yaml: pipeline.yaml))
        let group = try #require(root["pipeline"]?["stages"]?[0]?["stage"]?["spec"]?["execution"]?["steps"]?[0]?["stepGroup"])
        let steps = try #require(group["steps"]?.sequence).compactMap { $0["step"] }
        var seen: [String] = []
        for step in steps {
            let matrix = try #require(step["strategy"]?["matrix"])
            #expect(matrix["maxConcurrency"]?.int == case_.options.maxConcurrency)
            #expect(step["type"]?.string == (case_.options.step == .run ? "Run" : "Plugin"))
            #expect(step["spec"]?["image"]?.string == case_.options.image)
            guard let bases = matrix["sam_base_image"]?.sequence?.compactMap(\.string) else {
                #expect(case_.matrix == nil)
                #expect(matrix["sam_base_image"]?.string == "<+input>")
                continue
            }
            let inputs = case_.options.step == .run ? step["spec"]?["envVariables"] : step["spec"]?["settings"]
            let key = case_.options.step == .run ? ["VERSION", "TARGET_REPO", "BASE_IMAGE"] : ["version", "target_repo", "plugin_image"]
            for base in bases {
                let entry = try #require(case_.matrix?.entries.first { $0.samBaseImage == base })
                #expect(inputs?[key[0]]?.string == entry.version ?? "<+pipeline.variables.VERSION>")
                #expect(inputs?[key[1]]?.string == entry.targetRepo ?? "<+pipeline.variables.TARGET_REPO>")
                #expect(inputs?[key[2]]?.string == entry.pluginImage ?? "<+pipeline.variables.BASE_IMAGE>")
            }
            seen += bases
        }
        if let matrix = case_.matrix {
            #expect(seen.sorted() == matrix.entries.map(\.samBaseImage).sorted())
            #expect(steps.count == Set(matrix.entries.map(\.overrides)).count)
        }
        // Identifiers are unique within the group (Harness refuses duplicates).
        let identifiers = steps.compactMap { $0["identifier"]?.string }
        #expect(Set(identifiers).count == identifiers.count)
    }

    @Test func variablesKeepTheGuidesNamesAndInputs() throws {
        var options = HarnessPipeline.Options()
        let bare = try Yams.compose(yaml: try HarnessPipeline(options: options, matrix: nil).yaml)
        var values: [String: String] = [:]
        for variable in bare?["pipeline"]?["variables"]?.sequence ?? [] {
            values[variable["name"]?.string ?? ""] = variable["value"]?.string
        }
        #expect(values == ["VERSION": "<+input>", "BASE_IMAGE": "<+input>", "TARGET_REPO": "<+input>", "DOCKER_USERNAME": "<+input>",
                           "DOCKER_PASSWORD": "<+secrets.getValue(\"dockerhub_pat\")>"])
        options.version = "1.1.2"
        options.pluginImage = "harness/aws-sam-plugin:1.1.2-beta-base-image"
        options.targetRepo = "registry.example.com/x"
        options.dockerUsername = "bot"
        let given = try HarnessPipeline(options: options, matrix: nil).yaml
        #expect(given.contains("value: <+input>.default(1.1.2)\n"))
        #expect(given.contains("value: <+input>.default(harness/aws-sam-plugin:1.1.2-beta-base-image)\n"))
        #expect(given.contains("value: registry.example.com/x\n"))
        #expect(given.contains("value: bot\n"))
    }

    /// The script is fixed text: values reach it as environment variables, so none can change
    /// what it runs (a value with `$(…)` or quotes stays a value).
    @Test func runScriptNeverContainsAValue() throws {
        var options = HarnessPipeline.Options()
        options.dockerUsername = "$(reboot)"
        options.targetRepo = "'; rm -rf / #"
        let matrix = try BuildMatrix(entries: [.init(samBaseImage: node, version: "`id`")])
        let root = try Yams.compose(yaml: try HarnessPipeline(options: options, matrix: matrix).yaml)
        let step = root?["pipeline"]?["stages"]?[0]?["stage"]?["spec"]?["execution"]?["steps"]?[0]?["stepGroup"]?["steps"]?[0]?["step"]
        #expect(step?["spec"]?["command"]?.string == HarnessPipeline.runCommand(timestampTag: false))
        #expect(step?["spec"]?["envVariables"]?["VERSION"]?.string == "`id`")
    }

    /// The signing key comes from its secret into the step's environment (Run) or settings
    /// (Plugin): never a path in the YAML, never spliced into the script.
    @Test(arguments: HarnessPipeline.StepKind.allCases)
    func theSigningKeyComesFromASecret(step: HarnessPipeline.StepKind) throws {
        var options = HarnessPipeline.Options()
        options.step = step
        options.signKeySecret = "cosign_key"
        options.signKeyPasswordSecret = "org.cosign_password"
        let root = try #require(try Yams.compose(yaml: try HarnessPipeline(options: options, matrix: nil).yaml))
        let spec = try #require(root["pipeline"]?["stages"]?[0]?["stage"]?["spec"]?["execution"]?["steps"]?[0]?["stepGroup"]?["steps"]?[0]?["step"]?["spec"])
        if step == .run {
            #expect(spec["command"]?.string?.contains("--sign-key env://SIGN_KEY") == true)
            #expect(spec["envVariables"]?["SIGN_KEY"]?.string == #"<+secrets.getValue("cosign_key")>"#)
            #expect(spec["envVariables"]?["COSIGN_PASSWORD"]?.string == #"<+secrets.getValue("org.cosign_password")>"#)
        } else {
            #expect(spec["settings"]?["sign_key"]?.string == #"<+secrets.getValue("cosign_key")>"#)
            #expect(spec["settings"]?["sign_key_password"]?.string == #"<+secrets.getValue("org.cosign_password")>"#)
        }
        options.signKeySecret = "<+input>"
        #expect(throws: PipelineOptionError.self) { _ = try HarnessPipeline(options: options, matrix: nil) }
        options.signKeySecret = nil
        #expect(throws: PipelineOptionError.self) { _ = try HarnessPipeline(options: options, matrix: nil) }
    }

    @Test func outputIsDeterministic() throws {
        for case_ in PipelineCase.all {
            let first = try HarnessPipeline(options: case_.options, matrix: case_.matrix).yaml
            #expect(first == (try HarnessPipeline(options: case_.options, matrix: case_.matrix).yaml), "\(case_.name)")
        }
    }

    @Test(arguments: [
        (\HarnessPipeline.Options.name, "", "--name \"\""),
        (\HarnessPipeline.Options.name, " leading", "--name"),
        (\HarnessPipeline.Options.name, String(repeating: "a", count: 129), "--name"),
        (\HarnessPipeline.Options.projectIdentifier, "my-project", "--project \"my-project\": letters, digits and _"),
        (\HarnessPipeline.Options.orgIdentifier, "9org", "--org"),
        (\HarnessPipeline.Options.serviceRef, "a b", "--service"),
        (\HarnessPipeline.Options.environmentRef, "", "--environment"),
        (\HarnessPipeline.Options.infrastructureIdentifier, "infra.x", "--infrastructure"),
        (\HarnessPipeline.Options.kubernetesConnector, "project.cluster", "--k8s-connector"),
        (\HarnessPipeline.Options.kubernetesConnector, "account.", "--k8s-connector"),
        (\HarnessPipeline.Options.registryConnector, "docker-hub", "--registry-connector"),
        (\HarnessPipeline.Options.dockerPasswordSecret, "<+secrets.getValue(\"x\")>", "--docker-password-secret"),
        (\HarnessPipeline.Options.dockerPasswordSecret, "a\"b", "--docker-password-secret"),
        (\HarnessPipeline.Options.namespace, "Builds", "--namespace"),
        (\HarnessPipeline.Options.namespace, "-builds", "--namespace"),
        (\HarnessPipeline.Options.namespace, String(repeating: "a", count: 64), "--namespace"),
    ] as [(WritableKeyPath<HarnessPipeline.Options, String> & Sendable, String, String)])
    func refusesWhatHarnessWouldRefuse(_ case_: (WritableKeyPath<HarnessPipeline.Options, String> & Sendable, String, String)) throws {
        var options = HarnessPipeline.Options()
        options[keyPath: case_.0] = case_.1
        let error = try #require(throws: PipelineOptionError.self) { try HarnessPipeline(options: options, matrix: nil) }
        #expect(error.message.hasPrefix(case_.2), "\(error.message)")
        #expect(!error.message.contains("\n"))
    }

    @Test func refusesOutOfRangeNumbersAndUnsafeDefaults() throws {
        for (uid, concurrency, version) in [(0, 4, "1"), (-1, 4, "1"), (1, 0, "1"), (1, 257, "1"), (1, 1, "1.0)x"), (1, 1, "a,b")] {
            var options = HarnessPipeline.Options()
            options.uid = uid
            options.maxConcurrency = concurrency
            options.version = version
            #expect(throws: PipelineOptionError.self) { try HarnessPipeline(options: options, matrix: nil) }
        }
        var identifier = HarnessPipeline.Options()
        identifier.name = "SAM images 2.x"
        #expect(identifier.resolvedIdentifier == "SAM_images_2_x")
        identifier.name = "2024 builds"
        #expect(identifier.resolvedIdentifier == "_2024_builds")
        #expect(HarnessNames.isIdentifier(identifier.resolvedIdentifier))
    }

    @Test func expressionsAreBalanced() {
        for good in ["<+input>", "<+<+pipeline.variables.x>.split(\",\")>", "<+secrets.getValue(\"a\")>"] {
            #expect(HarnessNames.isExpression(good), "\(good)")
        }
        for bad in ["<+input", "<+a>>", "<+a><+b>", "input>", "<+a\n>", "<+>x"] {
            #expect(!HarnessNames.isExpression(bad), "\(bad)")
        }
    }
}
