import ArgumentParser
import Pipelines

struct K8sJobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "k8s-job",
        abstract: "Print a Kubernetes Indexed Job that builds a matrix, a pod per entry.",
        usage: "samforge pipeline k8s-job [<options>]",
        discussion: """
        It prints a ConfigMap holding the matrix and a batch/v1 Job with completionMode \
        Indexed: completions is the number of entries, --parallelism pods run at once, \
        and each pod builds the entry its JOB_COMPLETION_INDEX names.
        A failed entry is retried --backoff-limit-per-index times, unless samforge \
        exited 2 (bad input).
        Registry credentials come from the kubernetes.io/dockerconfigjson Secret that \
        --docker-config-secret names.
        The pod runs as a non-root uid with a read-only root filesystem, no \
        capabilities and the RuntimeDefault seccomp profile: Pod Security "restricted" \
        admits it.
        Example:
          kubectl create secret docker-registry samforge-docker-config \\
            --docker-server=registry.example.com --docker-username=ci \\
            --docker-password="$TOKEN"
          samforge pipeline k8s-job --matrix release.yaml --version 1.1.2 \\
            --plugin-image harness/aws-sam-plugin:1.1.2-beta-base-image \\
            --target-repo registry.example.com/team/aws-sam-plugin | kubectl apply -f -
        """
    )

    @OptionGroup(title: "Builds") var inputs: PipelineInputs
    @Flag(name: .customLong("timestamp-tag"), help: "Also push the ...-linux-amd64-YYYYMMDDhhmmss tag.")
    var timestampTag = false
    @Option(help: ArgumentHelp("The Job's name (the ConfigMap is NAME-matrix).", valueName: "NAME"))
    var name = "samforge-build"
    @Option(help: ArgumentHelp("Namespace (default: kubectl's).", valueName: "NS"))
    var namespace: String?
    @Option(help: ArgumentHelp("Pods running at once (default: 4, or fewer entries).", valueName: "N"))
    var parallelism: Int?
    @Option(name: .customLong("backoff-limit-per-index"), help: ArgumentHelp("Retries of a failed entry.", valueName: "N"))
    var backoffLimitPerIndex = 2
    @Option(name: .customLong("docker-config-secret"), help: ArgumentHelp("The Secret holding docker's config.json for the pods.", valueName: "NAME"))
    var dockerConfigSecret = "samforge-docker-config"
    @Option(name: .customLong("sign-key-secret"), help: ArgumentHelp("Sign the images with the cosign key in this Secret (keys cosign.key, password).", valueName: "NAME"))
    var signKeySecret: String?
    @Option(name: .customLong("go-template"), help: ArgumentHelp("go-template URL for the builds (default: Harness's).", valueName: "URL"))
    var goTemplate: String?
    @Option(name: .customLong("docker-cli-image"), help: ArgumentHelp("Image to take the docker CLI from (default: docker.io's docker:26.0.1-cli).", valueName: "REF"))
    var dockerCLIImage: String?

    func run() throws {
        guard let matrix = try inputs.buildMatrix() else {
            throw UsageError("give the base images with --sam-base-image (repeatable) or --matrix FILE")
        }
        if let dockerCLIImage { try PipelineInputs.checkRemote(dockerCLIImage, name: "--docker-cli-image") }
        if let goTemplate, !["http://", "https://"].contains(where: goTemplate.lowercased().hasPrefix) {
            throw UsageError("--go-template \(goTemplate): a pod cannot read this machine's files; give an http(s) URL the cluster can reach")
        }
        var options = KubernetesJob.Options()
        options.name = name
        options.namespace = namespace
        options.image = inputs.image
        options.uid = inputs.uid
        options.parallelism = parallelism
        options.backoffLimitPerIndex = backoffLimitPerIndex
        options.dockerConfigSecret = dockerConfigSecret
        options.signKeySecret = signKeySecret
        options.version = inputs.version
        options.pluginImage = inputs.pluginImage
        options.targetRepo = inputs.targetRepo
        options.timestampTag = timestampTag
        options.goTemplate = goTemplate
        options.dockerCLIImage = dockerCLIImage
        let job = try KubernetesJob(options: options, matrix: matrix)
        job.placeholders.forEach(Output.warning)
        printDocument(job.yaml)
    }
}
