import Foundation
import Testing
import TestSupport
import Pipelines

/// `samforge pipeline …` as a user runs it: flags in, YAML or one error line out.
@Suite("samforge pipeline: command line")
struct PipelineCLITests {
    static let ecr = "public.ecr.aws/sam"

    @Test func harnessFromAMatrixFileEqualsTheLibrarysPipeline() throws {
        let directory = try TemporaryDirectory().path
        let file = directory + "/release.yaml"
        try """
        images:
          - \(node)
          - sam-base-image: \(python)
            version: 1.1.3
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try Command.samforge(["pipeline", "harness", "--matrix", file, "--target-repo", "registry.example.com/t/p",
                                           "--k8s-connector", "org.cluster", "--max-concurrency", "8", "--step", "plugin",
                                           "--image", "registry.example.com/tools/samforge:2"] + Self.accountNames)
        try #require(result.status == 0, "\(result.stderr)")
        var options = HarnessPipeline.Options()
        options.targetRepo = "registry.example.com/t/p"
        options.kubernetesConnector = "org.cluster"
        options.infrastructureIdentifier = "cluster_infra"
        options.environmentRef = "builds"
        options.serviceRef = "noop"
        options.dockerPasswordSecret = "registry_token"
        options.maxConcurrency = 8
        options.step = .plugin
        options.image = "registry.example.com/tools/samforge:2"
        #expect(result.stdout == (try HarnessPipeline(options: options, matrix: try BuildMatrix.load(path: file)).yaml))
        #expect(result.stderr.isEmpty, "every placeholder was given: no warning")
        let lint = try Validators.yamllint(try Validators.files([("cli", result.stdout)]))
        #expect(lint.status == 0, "\(lint.stdout)")
    }

    /// The names of things in the user's Harness account, which no default can know.
    static let accountNames = ["--infrastructure", "cluster_infra", "--environment", "builds", "--service", "noop",
                               "--docker-password-secret", "registry_token"]

    /// Every option left at a stand-in gets one warning line naming it, and the pipeline is
    /// printed anyway; given, it gets none.
    @Test func placeholdersLeftAreNamedOnStderr() throws {
        let placeholders = ["--k8s-connector", "--infrastructure", "--environment", "--service", "--docker-password-secret", "--image"]
        let bare = try Command.samforge(["pipeline", "harness"])
        #expect(bare.status == 0 && !bare.stdout.isEmpty)
        let warnings = bare.stderr.split(separator: "\n")
        #expect(warnings.count == placeholders.count, "\(bare.stderr)")
        for (line, flag) in zip(warnings, placeholders) {
            #expect(line.hasPrefix("samforge: warning: \(flag) "), "\(line)")
        }
        let given = try Command.samforge(["pipeline", "harness", "--k8s-connector", "c", "--image", "r.example/samforge:1"] + Self.accountNames)
        #expect(given.status == 0 && given.stderr.isEmpty, "\(given.stderr)")
        // k8s-job's only stand-in is the image.
        let job = try Command.samforge(["pipeline", "k8s-job", "--sam-base-image", node] + Self.jobInputs)
        #expect(job.status == 0)
        #expect(job.stderr.split(separator: "\n").map(String.init) == [
            "samforge: warning: --image \(HarnessPipeline.defaultImageRepository):0.1.0 is not published yet: build and push samforge's image with scripts/image and pass it with --image",
        ], "\(job.stderr)")
        let jobGiven = try Command.samforge(["pipeline", "k8s-job", "--sam-base-image", node, "--image", "r.example/s:1"] + Self.jobInputs)
        #expect(jobGiven.status == 0 && jobGiven.stderr.isEmpty, "\(jobGiven.stderr)")
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let fragment: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let matrixDirectory = try! TemporaryDirectory().path

    static func matrixFile(_ text: String, _ name: String) -> String {
        let path = matrixDirectory + "/\(name).yaml"
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let refusals: [Refusal] = [
        .init(arguments: ["--sam-base-image", node, "--matrix", "/nonexistent.yaml"], fragment: "not both"),
        .init(arguments: ["--matrix", "/nonexistent.yaml"], fragment: "/nonexistent.yaml: no such readable file"),
        .init(arguments: ["--matrix", matrixFile("images:\n  - \(node)\n  - {sam-base-image: \(python), tag: x}\n", "unknown")],
              fragment: "entry 1 (line 3): unknown key \"tag\""),
        .init(arguments: ["--sam-base-image", "\(ecr)/build-nodejs18.x:1.143.0-arm64"], fragment: "arm64 images are not supported"),
        .init(arguments: ["--sam-base-image", "\(ecr)/build-nodejs18.x:latest"], fragment: "floating tag"),
        .init(arguments: ["--sam-base-image", node, "--sam-base-image", "\(ecr)/build-nodejs18.x:1.143.0"],
              fragment: "entry 0 and entry 1 would both push TARGET_REPO:VERSION-nodejs18.x-1.143.0-linux-amd64"),
        .init(arguments: ["--matrix", matrixFile("images:\n  - \(python)\n  - \(node)\n  - \(ecr)/build-nodejs18.x:1.143.0\n", "same-tag")],
              fragment: "entry 1 (line 3) and entry 2 (line 4) would both push TARGET_REPO:VERSION-nodejs18.x-1.143.0-linux-amd64"),
        .init(arguments: ["--matrix", matrixFile("- \(node)\n- {sam-base-image: \(python), version: 'v/1'}\n", "version")],
              fragment: "entry 1 (line 2): version \"v/1\": it starts the image tag"),
        .init(arguments: ["--sam-base-image", node, "--version=-1"], fragment: "--version \"-1\": it starts the image tag"),
        .init(arguments: ["--version=a/b"], fragment: "--version \"a/b\""),
        .init(arguments: ["--target-repo", "registry.example.com/x:tag"], fragment: "--target-repo \"registry.example.com/x:tag\": give a repository without tag or digest"),
        .init(arguments: ["--plugin-image", "UPPER/case"], fragment: "--plugin-image: invalid reference \"UPPER/case\""),
        .init(arguments: ["--matrix", matrixFile("- {sam-base-image: \(node), target-repo: 'r.example/x:1'}\n", "target")],
              fragment: "entry 0 (line 1): target-repo \"r.example/x:1\": give a repository without tag"),
        .init(arguments: ["--matrix", matrixFile("- \(node)\n- \(ecr)/build-python3.12:latest\n", "latest")],
              fragment: "entry 1 (line 2): sam-base-image \"\(ecr)/build-python3.12:latest\": floating tag"),
        // A step's or pod's container is gone when it ends, and sees none of this machine's files.
        .init(arguments: ["--target-repo", "oci:/tmp/out"], fragment: "--target-repo oci:/tmp/out: the step or pod writes it inside its container"),
        .init(arguments: ["--target-repo", "docker-archive:/tmp/out.tar"], fragment: "--target-repo docker-archive:/tmp/out.tar: the step or pod"),
        .init(arguments: ["--matrix", matrixFile("- {sam-base-image: \(node), target-repo: 'oci:/tmp/x'}\n", "local-target")],
              fragment: "entry 0 (line 1): target-repo oci:/tmp/x: the step or pod writes it inside its container"),
        .init(arguments: ["--plugin-image", "oci:/tmp/plugin:1"], fragment: "--plugin-image oci:/tmp/plugin:1: a step or pod cannot read this machine's files"),
        .init(arguments: ["--plugin-image", "docker-archive:/tmp/p.tar"], fragment: "--plugin-image docker-archive:/tmp/p.tar: a step or pod cannot"),
        .init(arguments: ["--sam-base-image", "oci:/mirror/build-nodejs18.x:1.143.0"],
              fragment: "--sam-base-image oci:/mirror/build-nodejs18.x:1.143.0: a step or pod cannot read"),
        .init(arguments: ["--matrix", matrixFile("- {sam-base-image: \(node), plugin-image: 'oci:/p:1'}\n", "local-plugin")],
              fragment: "entry 0 (line 1): plugin-image oci:/p:1: a step or pod cannot read"),
        .init(arguments: ["--image", "not a ref"], fragment: "--image not a ref"),
        .init(arguments: ["--step", "shell"], fragment: "--step shell: choose run or plugin"),
        .init(arguments: ["--project", "my-project"], fragment: "--project \"my-project\""),
        .init(arguments: ["--identifier", "sam-build"], fragment: "--identifier \"sam-build\""),
        .init(arguments: ["--k8s-connector", "a.b.c"], fragment: "--k8s-connector"),
        .init(arguments: ["--max-concurrency", "0"], fragment: "--max-concurrency 0"),
        .init(arguments: ["--uid", "0"], fragment: "--uid 0: a non-root uid"),
    ]

    @Test(arguments: refusals)
    func harnessRefusesWithOneLineAndExit2(_ refusal: Refusal) throws {
        let result = try Command.samforge(["pipeline", "harness"] + refusal.arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.isEmpty, "printed a pipeline: \(result.stdout.prefix(200))")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("samforge: error: ") == true, "\(result.stderr)")
        #expect(result.stderr.contains(refusal.fragment), "\(result.stderr)")
    }

    @Test func k8sJobEqualsTheLibrarysJob() throws {
        let result = try Command.samforge(["pipeline", "k8s-job", "--sam-base-image", node, "--sam-base-image", python,
                                           "--version", "1.1.2", "--plugin-image", "harness/aws-sam-plugin:1.1.2-beta-base-image",
                                           "--target-repo", "registry.example.com/t/p", "--namespace", "builds", "--parallelism", "1",
                                           "--image", "registry.example.com/tools/samforge:2"])
        try #require(result.status == 0, "\(result.stderr)")
        var options = JobCase.given
        options.targetRepo = "registry.example.com/t/p"
        options.namespace = "builds"
        options.parallelism = 1
        options.image = "registry.example.com/tools/samforge:2"
        #expect(result.stdout == (try KubernetesJob(options: options, matrix: try BuildMatrix(bases: [node, python])).yaml))
    }

    /// By default the steps and pods run samforge's own image at samforge's version.
    @Test func defaultImageIsThisVersionOfSamforge() throws {
        let version = try Command.samforge(["version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let harness = try Command.samforge(["pipeline", "harness"])
        #expect(harness.stdout.contains("image: \(HarnessPipeline.defaultImageRepository):\(version)\n"), "\(harness.stdout)")
        let job = try Command.samforge(["pipeline", "k8s-job", "--sam-base-image", node] + Self.jobInputs)
        #expect(job.stdout.contains("image: \(HarnessPipeline.defaultImageRepository):\(version)\n"), "\(job.stderr)")
    }

    static let jobInputs = ["--version", "1.1.2", "--plugin-image", "h/p:1", "--target-repo", "r.example/t"]

    static let jobRefusals: [Refusal] = [
        .init(arguments: jobInputs, fragment: "give the base images with --sam-base-image (repeatable) or --matrix FILE"),
        .init(arguments: ["--sam-base-image", node], fragment: "entry 0 has no --version, --plugin-image, --target-repo"),
        .init(arguments: jobInputs + ["--sam-base-image", "\(ecr)/build-python3.12"], fragment: "a full version tag is required"),
        .init(arguments: jobInputs + ["--sam-base-image", node, "--name", "Samforge"], fragment: "--name \"Samforge\""),
        .init(arguments: jobInputs + ["--sam-base-image", node, "--parallelism", "0"], fragment: "--parallelism 0"),
        .init(arguments: jobInputs + ["--matrix", matrixFile("[]", "empty")], fragment: "the images list is empty"),
        .init(arguments: ["--version", "1", "--plugin-image", "h/p:1", "--target-repo", "oci:/out", "--sam-base-image", node],
              fragment: "--target-repo oci:/out: the step or pod writes it inside its container"),
        .init(arguments: jobInputs + ["--sam-base-image", node, "--docker-cli-image", "docker-archive:/d.tar"],
              fragment: "--docker-cli-image docker-archive:/d.tar: a step or pod cannot read"),
        .init(arguments: jobInputs + ["--sam-base-image", node, "--go-template", "/usr/local/bin/go-template"],
              fragment: "--go-template /usr/local/bin/go-template: a pod cannot read this machine's files; give an http(s) URL"),
    ]

    @Test(arguments: jobRefusals)
    func k8sJobRefusesWithOneLineAndExit2(_ refusal: Refusal) throws {
        let result = try Command.samforge(["pipeline", "k8s-job"] + refusal.arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("samforge: error: ") && result.stderr.contains(refusal.fragment), "\(result.stderr)")
    }

    @Test(arguments: [["pipeline"], ["pipeline", "harness"], ["pipeline", "k8s-job"]])
    func helpFitsIn80Columns(_ command: [String]) throws {
        let result = try Command.samforge(command + ["--help"], environment: ["COLUMNS": "80"])
        #expect(result.status == 0)
        for line in result.stdout.split(separator: "\n") {
            #expect(line.count <= 80, "\(line)")
        }
    }
}
