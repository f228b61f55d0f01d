/// A Kubernetes Indexed Job that builds a matrix: one pod per entry (`completions` = entries),
/// `parallelism` at once, each running `samforge build --matrix` on the entry
/// JOB_COMPLETION_INDEX names; plus the ConfigMap holding the matrix. The pod is one a
/// namespace enforcing Pod Security "restricted" admits, with a read-only root filesystem.
public struct KubernetesJob: Sendable {
    public struct Options: Sendable {
        public var name = "samforge-build"
        /// nil: the namespace `kubectl apply -n` (or the context) gives.
        public var namespace: String?
        public var image = HarnessPipeline.defaultImage
        public var uid = 65532
        /// nil: min(4, entries).
        public var parallelism: Int?
        /// Retries of one entry; a usage error (exit 2) fails its index at once.
        public var backoffLimitPerIndex = 2
        /// A `kubernetes.io/dockerconfigjson` Secret (kubectl create secret docker-registry).
        public var dockerConfigSecret = "samforge-docker-config"
        /// A Secret holding the cosign key (key `cosign.key`) and its password (key `password`,
        /// optional): the pods sign what they build, the key read from the environment.
        public var signKeySecret: String?
        public var version: String?
        public var pluginImage: String?
        public var targetRepo: String?
        public var timestampTag = false
        /// Where go-template and the docker CLI come from, when not the defaults (a cluster
        /// that reaches only a mirror).
        public var goTemplate: String?
        public var dockerCLIImage: String?
        public init() {}
    }

    /// Where the pod's files are; the local simulation of the Job runs the same command with
    /// its own paths.
    public struct Paths: Sendable, Equatable {
        public var binary: String
        public var matrixFile: String
        public var cacheDirectory: String
        public var dockerConfigDirectory: String
        public var temporaryDirectory: String
        public init(binary: String, matrixFile: String, cacheDirectory: String, dockerConfigDirectory: String, temporaryDirectory: String) {
            self.binary = binary
            self.matrixFile = matrixFile
            self.cacheDirectory = cacheDirectory
            self.dockerConfigDirectory = dockerConfigDirectory
            self.temporaryDirectory = temporaryDirectory
        }

        /// In the pod: the image's binary, the ConfigMap, two emptyDirs, the Secret.
        public static let pod = Paths(binary: "/usr/local/bin/samforge", matrixFile: "/config/matrix.yaml", cacheDirectory: "/cache",
                                      dockerConfigDirectory: "/docker", temporaryDirectory: "/tmp")
    }

    public static let containerName = "samforge"
    /// The exit code samforge uses for input errors: retrying cannot help.
    public static let usageExitCode = 2

    public let options: Options
    public let matrix: BuildMatrix

    public init(options: Options, matrix: BuildMatrix) throws(PipelineOptionError) {
        try Self.check(options, matrix: matrix)
        self.options = options
        self.matrix = matrix
    }

    /// Pods at once: `--parallelism` (default 4), never more than there are entries (a larger
    /// number would only read as a promise the Job cannot keep).
    public var parallelism: Int { min(options.parallelism ?? 4, matrix.entries.count) }
    /// Options left at a default that stands for something of the user's (one warning each).
    public var placeholders: [String] { HarnessPipeline.imagePlaceholder(options.image) }
    public var configMapName: String { options.name + "-matrix" }

    /// The container's command: every pod runs exactly this (the entry comes from
    /// JOB_COMPLETION_INDEX, which Kubernetes sets in each pod of an Indexed Job).
    public func command(paths: Paths = .pod) -> [String] {
        var command = [paths.binary, "build", "--matrix", paths.matrixFile, "--cache-dir", paths.cacheDirectory]
        if let version = options.version { command += ["--version", version] }
        if let pluginImage = options.pluginImage { command += ["--plugin-image", pluginImage] }
        if let targetRepo = options.targetRepo { command += ["--target-repo", targetRepo] }
        if let goTemplate = options.goTemplate { command += ["--go-template", goTemplate] }
        if let image = options.dockerCLIImage { command += ["--docker-cli-image", image] }
        if options.timestampTag { command.append("--timestamp-tag") }
        if options.signKeySecret != nil { command += ["--sign-key", "env://SIGN_KEY"] }
        return command
    }

    /// The container's environment (besides JOB_COMPLETION_INDEX): docker's config.json from
    /// the Secret, HOME on the writable /tmp.
    public func environment(paths: Paths = .pod) -> [(name: String, value: String)] {
        [("DOCKER_CONFIG", paths.dockerConfigDirectory), ("HOME", paths.temporaryDirectory)]
    }

    /// Variables taken from the signing Secret: (name, the Secret's key, optional).
    public var secretEnvironment: [(name: String, key: String, optional: Bool)] {
        options.signKeySecret == nil ? [] : [("SIGN_KEY", "cosign.key", false), ("COSIGN_PASSWORD", "password", true)]
    }

    /// The ConfigMap's matrix.yaml: the matrix as samforge writes it, its lines fitting the
    /// width where the ConfigMap indents them (data: > matrix.yaml: |).
    public var matrixFile: String { YAMLWriter.body(matrix.yamlValue, margin: Self.matrixBlockIndent) }
    static let matrixBlockIndent = 4

    /// ConfigMap, then Job, in one stream for `kubectl apply -f -`.
    public var yaml: String {
        YAMLWriter.stream([
            (configMap, [
                "Kubernetes Indexed Job from `samforge pipeline k8s-job`: one pod per",
                "matrix entry. Create the Secret \(options.dockerConfigSecret) first (see README,",
                "\"Run it on Kubernetes\"), then: kubectl apply -f THIS_FILE",
            ]),
            (job, []),
        ])
    }

    var labels: YAMLValue {
        .map([("app.kubernetes.io/name", .string("samforge")), ("app.kubernetes.io/instance", .string(options.name))])
    }

    func metadata(_ name: String) -> YAMLValue {
        var fields: [(String, YAMLValue)] = [("name", .string(name))]
        if let namespace = options.namespace { fields.append(("namespace", .string(namespace))) }
        fields.append(("labels", labels))
        return .map(fields)
    }

    var configMap: YAMLValue {
        .map([
            ("apiVersion", .string("v1")),
            ("kind", .string("ConfigMap")),
            ("metadata", metadata(configMapName)),
            ("data", .map([("matrix.yaml", .block(matrixFile))])),
        ])
    }
}

/// Everything the pods need is checked before the Job is printed: a pod that fails on input
/// fails the same way on every retry.
extension KubernetesJob {
    static func check(_ options: Options, matrix: BuildMatrix) throws(PipelineOptionError) {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws(PipelineOptionError) {
            if !ok { throw PipelineOptionError(message()) }
        }
        // Pods carry the Job's name in a label (≤ 63) with a suffix: keep it short.
        try require(KubernetesNames.isLabel(options.name) && options.name.count <= 52,
                    "--name \"\(options.name)\": lowercase letters, digits and -, at most 52 characters")
        if let namespace = options.namespace {
            try require(KubernetesNames.isLabel(namespace), "--namespace \"\(namespace)\": lowercase letters, digits and -, at most 63")
        }
        if let secret = options.signKeySecret {
            try require(KubernetesNames.isSubdomain(secret), "--sign-key-secret \"\(secret)\": a Kubernetes name (lowercase letters, digits, - and .)")
        }
        try require(KubernetesNames.isSubdomain(options.dockerConfigSecret),
                    "--docker-config-secret \"\(options.dockerConfigSecret)\": a Kubernetes name (lowercase letters, digits, - and .)")
        try require((1...Int(Int32.max)).contains(options.uid), "--uid \(options.uid): a non-root uid (1 or more)")
        if let parallelism = options.parallelism {
            try require(parallelism >= 1 && parallelism <= 100_000, "--parallelism \(parallelism): 1 or more")
        }
        try require((0...10).contains(options.backoffLimitPerIndex), "--backoff-limit-per-index \(options.backoffLimitPerIndex): from 0 to 10")
        // Pods have no run-time input: every entry needs all three, from a flag or itself.
        for (index, entry) in matrix.entries.enumerated() {
            let missing = [
                entry.version ?? options.version == nil ? "--version" : nil,
                entry.pluginImage ?? options.pluginImage == nil ? "--plugin-image" : nil,
                entry.targetRepo ?? options.targetRepo == nil ? "--target-repo" : nil,
            ].compactMap { $0 }
            try require(missing.isEmpty, "\(matrix.label(index)) has no \(missing.joined(separator: ", ")): give \(missing.count == 1 ? "it" : "them") on the command line or in the matrix file")
        }
    }
}
