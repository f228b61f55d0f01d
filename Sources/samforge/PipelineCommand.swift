import ArgumentParser
import Foundation
import Pipelines

/// Generators for the engines that fan builds out: samforge prints their configuration and
/// does one unit of work per step or pod; it does not schedule.
struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Print a Harness pipeline or a Kubernetes Job that runs the builds.",
        usage: "samforge pipeline <command> [<options>]",
        discussion: """
        Both run samforge's own image, unprivileged, one base image per step or pod.
        """,
        subcommands: [HarnessPipelineCommand.self, K8sJobCommand.self]
    )
}

struct HarnessPipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harness",
        abstract: "Print the Harness sam-image-build pipeline (no DinD).",
        usage: "samforge pipeline harness [<options>]",
        discussion: """
        The Harness guide's pipeline without DinD: a Deployment stage on Kubernetes with \
        a KubernetesDirect step group whose containers run as a non-root uid without \
        privilege escalation.
        A matrix strategy runs one samforge build step per base image \
        (--max-concurrency at once); each exports FINAL_IMAGE, IMAGE_DIGEST, \
        SAM_RUNTIME, SAM_VERSION and TIMESTAMP.
        Matrix entries with their own version, target-repo or plugin-image get a step \
        of their own.
        Without --sam-base-image or --matrix, the base images are entered when the \
        pipeline runs.
        Examples:
          samforge pipeline harness --matrix release.yaml \\
            --target-repo registry.example.com/team/aws-sam-plugin \\
            --k8s-connector my_cluster --project my_project > pipeline.yaml
          samforge pipeline harness --step plugin \\
            --sam-base-image public.ecr.aws/sam/build-nodejs20.x:1.143.0
        """
    )

    @OptionGroup(title: "Builds") var inputs: PipelineInputs
    @Option(name: .customLong("max-concurrency"), help: ArgumentHelp("Builds running at once.", valueName: "N"))
    var maxConcurrency = 4
    @Option(help: ArgumentHelp("The step: run (a shell Run step) or plugin (a Plugin step).", valueName: "run|plugin"))
    var step = "run"
    @Flag(name: .customLong("timestamp-tag"), help: "Also push the ...-linux-amd64-YYYYMMDDhhmmss tag.")
    var timestampTag = false
    @Option(name: .customLong("docker-username"), help: ArgumentHelp("DOCKER_USERNAME (default: a run-time input).", valueName: "USER"))
    var dockerUsername: String?
    @Option(name: .customLong("docker-password-secret"), help: ArgumentHelp("The Harness secret that holds DOCKER_PASSWORD.", valueName: "ID"))
    var dockerPasswordSecret = "dockerhub_pat"
    @Option(name: .customLong("sign-key-secret"), help: ArgumentHelp("Sign the images with the cosign key this Harness secret holds.", valueName: "ID"))
    var signKeySecret: String?
    @Option(name: .customLong("sign-key-password-secret"), help: ArgumentHelp("The Harness secret that holds the key's password.", valueName: "ID"))
    var signKeyPasswordSecret: String?

    @Option(help: ArgumentHelp("Pipeline name.", valueName: "NAME")) var name = "sam-image-build"
    @Option(help: ArgumentHelp("Pipeline identifier (default: from the name).", valueName: "ID")) var identifier: String?
    @Option(help: ArgumentHelp("Project identifier.", valueName: "ID")) var project = "default_project"
    @Option(help: ArgumentHelp("Organization identifier.", valueName: "ID")) var org = "default"
    @Option(help: ArgumentHelp("Service (it deploys nothing).", valueName: "ID")) var service = "service"
    @Option(help: ArgumentHelp("Environment.", valueName: "ID")) var environment = "k8s"
    @Option(help: ArgumentHelp("Infrastructure definition.", valueName: "ID")) var infrastructure = "your_k8s_infra"
    @Option(name: .customLong("k8s-connector"), help: ArgumentHelp("The Kubernetes cluster connector to run the pods on.", valueName: "REF"))
    var kubernetesConnector = "your_k8s_connector"
    @Option(help: ArgumentHelp("Namespace the step pods run in.", valueName: "NS")) var namespace = "default"
    @Option(name: .customLong("registry-connector"), help: ArgumentHelp("The Docker registry connector that pulls --image.", valueName: "REF"))
    var registryConnector = "account.harnessImage"

    func run() throws {
        guard let kind = HarnessPipeline.StepKind(rawValue: step) else {
            throw UsageError("--step \(step): choose run or plugin")
        }
        var options = HarnessPipeline.Options()
        options.name = name
        options.identifier = identifier
        options.projectIdentifier = project
        options.orgIdentifier = org
        options.serviceRef = service
        options.environmentRef = environment
        options.infrastructureIdentifier = infrastructure
        options.kubernetesConnector = kubernetesConnector
        options.namespace = namespace
        options.registryConnector = registryConnector
        options.image = inputs.image
        options.uid = inputs.uid
        options.maxConcurrency = maxConcurrency
        options.step = kind
        options.version = inputs.version
        options.pluginImage = inputs.pluginImage
        options.targetRepo = inputs.targetRepo
        options.dockerUsername = dockerUsername
        options.dockerPasswordSecret = dockerPasswordSecret
        options.signKeySecret = signKeySecret
        options.signKeyPasswordSecret = signKeyPasswordSecret
        options.timestampTag = timestampTag
        let matrix = try inputs.buildMatrix()
        let pipeline = try HarnessPipeline(options: options, matrix: matrix)
        pipeline.placeholders.forEach(Output.warning)
        printDocument(pipeline.yaml)
    }
}

/// A generated file on stdout, as it is (it ends with a newline).
func printDocument(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
