/// The Harness guide's sam-image-build pipeline (v0 YAML), unprivileged: the guide's Deployment
/// stage on Kubernetes and its step group with `stepGroupInfra: KubernetesDirect`, but one
/// samforge step per SAM base image (a `strategy: matrix`) instead of DinD and docker build:
/// no `privileged`, no docker socket, no shared /var/run or /var/lib/docker, a non-root uid.
public struct HarnessPipeline: Sendable {
    public enum StepKind: String, Sendable, CaseIterable {
        /// A Run step: `samforge build` in a shell; outputs read back from `--output-env`.
        case run
        /// A Plugin step: samforge's plugin mode, settings as PLUGIN_* variables, outputs via DRONE_OUTPUT.
        case plugin
    }

    public struct Options: Sendable {
        public var name = "sam-image-build"
        public var identifier: String?  // nil: made from `name`
        public var projectIdentifier = "default_project"
        public var orgIdentifier = "default"
        public var serviceRef = "service"
        public var environmentRef = "k8s"
        public var infrastructureIdentifier = "your_k8s_infra"
        public var kubernetesConnector = "your_k8s_connector"
        public var namespace = "default"
        /// The Docker registry connector the step image is pulled with (Harness's built-in
        /// Docker Hub connector by default).
        public var registryConnector = "account.harnessImage"
        public var image = HarnessPipeline.defaultImage
        public var uid = 65532
        public var maxConcurrency = 4
        public var step = StepKind.run
        /// Given values become the variables' values (VERSION and BASE_IMAGE: run-time input
        /// defaults); nil ones are `<+input>`.
        public var version: String?
        public var pluginImage: String?
        public var targetRepo: String?
        public var dockerUsername: String?
        /// The Harness secret DOCKER_PASSWORD reads (`<+secrets.getValue("…")>`).
        public var dockerPasswordSecret = "dockerhub_pat"
        /// The Harness secret holding the cosign key's text (`--sign-key`): never a path in the
        /// YAML; the step reads it from the environment (`env://SIGN_KEY`) or as PLUGIN_SIGN_KEY.
        public var signKeySecret: String?
        /// The Harness secret holding its password (COSIGN_PASSWORD).
        public var signKeyPasswordSecret: String?
        public var timestampTag = false
        public init() {}

        public var resolvedIdentifier: String { identifier ?? HarnessNames.identifier(from: name) }
    }

    /// samforge's own image (built by scripts/image), as the README documents it; the command
    /// line tags it with samforge's version.
    public static let defaultImageRepository = "docker.io/harness-community/samforge"
    public static let defaultImage = defaultImageRepository + ":0.1.0"
    /// Where each step writes its output variables and its cache (container-local /tmp).
    public static let outputFile = "/tmp/samforge-output.env"
    public static let cacheDirectory = "/tmp/samforge-cache"
    /// What `--output-env` writes that the steps export.
    public static let outputVariables = ["FINAL_IMAGE", "IMAGE_DIGEST", "SAM_RUNTIME", "SAM_VERSION", "TIMESTAMP"]

    public let options: Options
    /// nil: the base images are a run-time input (entered as a list when the pipeline runs).
    public let matrix: BuildMatrix?

    public init(options: Options, matrix: BuildMatrix?) throws(PipelineOptionError) {
        try Self.check(options)
        self.options = options
        self.matrix = matrix
    }

    /// The pipeline YAML, ready to paste into Harness.
    public var yaml: String {
        YAMLWriter.document(value, comments: [
            "Harness pipeline from `samforge pipeline harness`: builds the AWS SAM plugin",
            "image for each SAM base image with samforge, unprivileged (no DinD).",
            "Before importing: the connector, project, org and secret identifiers must",
            "exist in your account (see README, \"Run it in Harness\").",
        ])
    }

    public var value: YAMLValue {
        .map([("pipeline", .map([
            ("name", .string(options.name)),
            ("identifier", .string(options.resolvedIdentifier)),
            ("projectIdentifier", .string(options.projectIdentifier)),
            ("orgIdentifier", .string(options.orgIdentifier)),
            ("tags", .map([])),
            ("stages", .list([.map([("stage", stage)])])),
            ("variables", .list(variables)),
        ]))])
    }

    var stage: YAMLValue {
        .map([
            ("name", .string("buildImages")),
            ("identifier", .string("buildImages")),
            ("description", .string("Build the SAM plugin images with samforge, unprivileged")),
            ("type", .string("Deployment")),
            ("spec", .map([
                ("deploymentType", .string("Kubernetes")),
                ("service", .map([("serviceRef", .string(options.serviceRef))])),
                ("environment", .map([
                    ("environmentRef", .string(options.environmentRef)),
                    ("deployToAll", .bool(false)),
                    ("infrastructureDefinitions", .list([.map([("identifier", .string(options.infrastructureIdentifier))])])),
                ])),
                ("execution", .map([
                    ("steps", .list([.map([("stepGroup", stepGroup)])])),
                    ("rollbackSteps", .list([])),
                ])),
            ])),
            ("tags", .map([])),
            ("failureStrategies", .list([.map([("onFailure", .map([
                ("errors", .list([.string("AllErrors")])),
                ("action", .map([("type", .string("StageRollback"))])),
            ]))])])),
        ])
    }

    var stepGroup: YAMLValue {
        .map([
            ("name", .string("samforge")),
            ("identifier", .string("samforge")),
            ("steps", .list(buildSteps.map { .map([("step", $0)]) })),
            ("stepGroupInfra", .map([
                ("type", .string("KubernetesDirect")),
                ("spec", .map([
                    ("connectorRef", .string(options.kubernetesConnector)),
                    ("namespace", .string(options.namespace)),
                    ("containerSecurityContext", .map([
                        ("runAsNonRoot", .bool(true)),
                        ("runAsUser", .int(options.uid)),
                        ("allowPrivilegeEscalation", .bool(false)),
                        ("privileged", .bool(false)),
                        ("capabilities", .map([("drop", .list([.string("ALL")]))])),
                    ])),
                ])),
            ])),
        ])
    }

    var variables: [YAMLValue] {
        func variable(_ name: String, _ description: String, required: Bool, _ value: String) -> YAMLValue {
            .map([("name", .string(name)), ("type", .string("String")), ("description", .string(description)),
                  ("required", .bool(required)), ("value", .string(value))])
        }
        /// Set every run: a run-time input, with the given value as its default.
        func input(_ given: String?) -> String { given.map { "<+input>.default(\($0))" } ?? "<+input>" }
        return [
            variable("VERSION", "Plugin version, the tag's first part (e.g. 1.1.2)", required: true, input(options.version)),
            variable("BASE_IMAGE", "Image with the SAM plugin files (/opt/harness)",
                     required: true, input(options.pluginImage)),
            variable("TARGET_REPO", "Repository to push to, without tag", required: true, options.targetRepo ?? "<+input>"),
            variable("DOCKER_USERNAME", "User for the target registry", required: false, options.dockerUsername ?? "<+input>"),
            variable("DOCKER_PASSWORD", "Its password or token (a Harness secret)", required: false,
                     "<+secrets.getValue(\"\(options.dockerPasswordSecret)\")>"),
        ]
    }

    static func check(_ options: Options) throws(PipelineOptionError) {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws(PipelineOptionError) {
            if !ok { throw PipelineOptionError(message()) }
        }
        let identifierRule = "letters, digits and _, not starting with a digit, at most 128"
        try require(HarnessNames.isName(options.name), "--name \"\(options.name)\": a Harness name has letters, digits, spaces, _ - and ., at most 128")
        try require(HarnessNames.isIdentifier(options.resolvedIdentifier), "--identifier \"\(options.resolvedIdentifier)\": \(identifierRule)")
        for (flag, value) in [("--project", options.projectIdentifier), ("--org", options.orgIdentifier),
                              ("--service", options.serviceRef), ("--environment", options.environmentRef),
                              ("--infrastructure", options.infrastructureIdentifier)] {
            try require(HarnessNames.isIdentifier(value) || HarnessNames.isExpression(value), "\(flag) \"\(value)\": \(identifierRule), or an expression <+...>")
        }
        for (flag, value) in [("--k8s-connector", options.kubernetesConnector), ("--registry-connector", options.registryConnector),
                              ("--docker-password-secret", options.dockerPasswordSecret)] {
            try require(HarnessNames.isReference(value), "\(flag) \"\(value)\": an identifier, org.ID or account.ID")
        }
        try require(HarnessNames.isReference(options.dockerPasswordSecret) && !HarnessNames.isExpression(options.dockerPasswordSecret),
                    "--docker-password-secret \"\(options.dockerPasswordSecret)\": a secret identifier, org.ID or account.ID")
        for (flag, value) in [("--sign-key-secret", options.signKeySecret), ("--sign-key-password-secret", options.signKeyPasswordSecret)] {
            guard let value else { continue }
            try require(HarnessNames.isReference(value) && !HarnessNames.isExpression(value), "\(flag) \"\(value)\": a secret identifier, org.ID or account.ID")
        }
        try require(options.signKeyPasswordSecret == nil || options.signKeySecret != nil, "--sign-key-password-secret needs --sign-key-secret")
        try require(HarnessNames.isNamespace(options.namespace), "--namespace \"\(options.namespace)\": a Kubernetes namespace (lowercase letters, digits, -)")
        try require((1...Int(Int32.max)).contains(options.uid), "--uid \(options.uid): a non-root uid (1 or more)")
        try require((1...256).contains(options.maxConcurrency), "--max-concurrency \(options.maxConcurrency): from 1 to 256 (Harness runs at most 256 in parallel)")
        for (flag, value) in [("--version", options.version), ("--plugin-image", options.pluginImage)] {
            if let value { try require(isDefaultSafe(value), "\(flag) \"\(value)\": cannot be a run-time input default (no spaces, parentheses or commas)") }
        }
    }

    /// Options left at a default that stands for something of the user's (a connector, a
    /// secret, the published image): one warning each, naming the option to give. The
    /// pipeline is still printed; Harness would refuse it on import or run.
    public var placeholders: [String] {
        let defaults = Options()
        let standIns: [(flag: String, value: String, default: String, what: String)] = [
            ("--k8s-connector", options.kubernetesConnector, defaults.kubernetesConnector, "your Kubernetes cluster connector's identifier"),
            ("--infrastructure", options.infrastructureIdentifier, defaults.infrastructureIdentifier,
             "the infrastructure definition of your Kubernetes environment"),
            ("--environment", options.environmentRef, defaults.environmentRef, "your Kubernetes environment"),
            ("--service", options.serviceRef, defaults.serviceRef, "your do-nothing service"),
            ("--docker-password-secret", options.dockerPasswordSecret, defaults.dockerPasswordSecret,
             "the Harness secret that holds the target registry's password"),
        ]
        return standIns.filter { $0.value == $0.default }.map { "\($0.flag) is the placeholder \"\($0.default)\": give \($0.what)" }
            + Self.imagePlaceholder(options.image)
    }

    /// The default `--image` names where the project would publish samforge's image; it is
    /// not there yet.
    public static func imagePlaceholder(_ image: String) -> [String] {
        guard image.hasPrefix(defaultImageRepository + ":") else { return [] }
        return ["--image \(image) is not published yet: build and push samforge's image with scripts/image and pass it with --image"]
    }

    /// `<+input>.default(VALUE)` ends at the first ')' and lists split at ','.
    static func isDefaultSafe(_ value: String) -> Bool {
        !value.isEmpty && !value.unicodeScalars.contains { "(),<>\"' \t".unicodeScalars.contains($0) || $0.value < 0x20 }
    }
}

/// A generator option the user must fix (exit 2).
public struct PipelineOptionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
