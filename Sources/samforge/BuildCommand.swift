import ArgumentParser
import Assembly
import Build
import Foundation
import Layers
import Pipelines
import SAM
import Signing
import Streams

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the Harness AWS SAM plugin image and push it.",
        usage: """
        samforge build [<options>] (--sam-base-image <REF>... | --matrix <FILE>)
        --plugin-image <REF> --version <V> --target-repo <REPO>
        """,
        discussion: """
        It does what the Harness sam-image-build Dockerfile does, without a daemon: \
        the base layers are copied untouched, and two layers are added (the plugin files; \
        go-template and the docker CLI).
        Env gains HARNESS_GO_PLUGIN_VERSION, DOCKER_VERSION, INSTALL_GO_TEMPLATE_BINARY \
        and UNIFIED_PIPELINE; Entrypoint is /opt/harness/scripts/sam-plugin.sh.
        The tag is TARGET_REPO:VERSION-RUNTIME-SAMVERSION-linux-amd64 (and \
        -YYYYMMDDhhmmss after it with --timestamp-tag).
        The last stdout line is TARGET_REPO:TAG@sha256:DIGEST.
        Without the flags, SAM_BASE_IMAGE, BASE_IMAGE (then SCRATCH_IMAGE), VERSION and \
        TARGET_REPO are read from the environment.
        DOCKER_USERNAME and DOCKER_PASSWORD log in to the target's registry.
        go-template is left out when INSTALL_GO_TEMPLATE_BINARY is set to anything but \
        true, or UNIFIED_PIPELINE is true.
        The same inputs give the same digest: mtimes are 0 (or SOURCE_DATE_EPOCH) and \
        the created time is the base image's own.
        Example:
          samforge build \\
              --sam-base-image public.ecr.aws/sam/build-nodejs18.x:1.143.0 \\
              --plugin-image harness/aws-sam-plugin:1.1.2-beta-base-image \\
              --version 1.1.2 --target-repo registry.example.com/aws-sam-plugin
        """
    )

    @Option(name: .customLong("sam-base-image"), help: ArgumentHelp("A SAM build image, public.ecr.aws/sam/build-RUNTIME:X.Y.Z (or $SAM_BASE_IMAGE); repeat it for several runtimes in one run.", valueName: "REF"))
    var samBaseImage: [String] = []
    @Option(name: .customLong("plugin-image"), help: ArgumentHelp("The image with /opt/harness/bin/harness-sam-plugin and /opt/harness/scripts/ (or $BASE_IMAGE).", valueName: "REF"))
    var pluginImage: String?
    @Option(name: .customLong("version"), help: ArgumentHelp("The plugin version, first part of the tag ($VERSION).", valueName: "V"))
    var version: String?
    @Option(name: .customLong("target-repo"), help: ArgumentHelp("Where to push: a repository without tag, oci:DIR or docker-archive:FILE (or $TARGET_REPO).", valueName: "REPO"))
    var targetRepo: String?

    @Option(name: .customLong("go-template"), help: ArgumentHelp("The go-template binary (default: Harness's v0.4.5).", valueName: "URL|PATH"))
    var goTemplate: String?
    @Flag(name: .customLong("no-go-template"), help: "Do not install go-template.")
    var noGoTemplate = false
    @Option(name: .customLong("docker-cli-image"), help: ArgumentHelp("The image with /usr/local/bin/docker (default: the docker.io/library/docker:26.0.1-cli image).", valueName: "REF"))
    var dockerCLIImage: String?
    @Option(name: .customLong("docker-cli-file"), help: ArgumentHelp("A docker binary, or a static docker-*.tgz release.", valueName: "PATH|URL"))
    var dockerCLIFile: String?
    @Flag(name: .customLong("no-docker-cli"), help: "Do not install the docker CLI.")
    var noDockerCLI = false

    @Flag(name: .customLong("timestamp-tag"), help: "Also push the tag ...-linux-amd64-YYYYMMDDhhmmss (UTC, the clock or SOURCE_DATE_EPOCH).")
    var timestampTag = false
    @Option(name: .customLong("output-env"), help: ArgumentHelp("Append FINAL_IMAGE=, IMAGE_DIGEST=, SAM_RUNTIME=, SAM_VERSION= and TIMESTAMP= lines to FILE ($DRONE_OUTPUT, say).", valueName: "FILE"))
    var outputEnv: String?
    @Option(help: ArgumentHelp("Only linux/amd64 is supported.", valueName: "os/arch"))
    var platform: String?
    @Option(name: .customLong("matrix"), help: ArgumentHelp("Build every entry of a YAML or JSON matrix file: images, a list of SAM base images or of mappings (sam-base-image, version, target-repo, plugin-image).", valueName: "FILE"))
    var matrix: String?
    @Option(name: .customLong("matrix-index"), help: ArgumentHelp("Build entry N of --matrix only, from 0 (default: $JOB_COMPLETION_INDEX, which an Indexed Job sets).", valueName: "N"))
    var matrixIndex: Int?
    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("The layer cache (default $XDG_CACHE_HOME/samforge, else ~/.cache/samforge).", valueName: "DIR"))
    var cacheDir: String?
    @Option(help: ArgumentHelp("The created time: now or an RFC 3339 time (default: SOURCE_DATE_EPOCH, else the base image's).", valueName: "now|TIME"))
    var created: String?
    @Option(name: [.customShort("j"), .long], help: ArgumentHelp("Blobs transferred at once (1-64).", valueName: "N")) var jobs = 4
    @Flag(help: "Do not attach the SBOM and provenance referrers.") var noAttestations = false
    @OptionGroup var format: FormatOption
    @OptionGroup var compression: CompressionOption
    @OptionGroup var lockOptions: LockOptions
    @OptionGroup var signing: SigningOptions
    @Flag(name: .shortAndLong, help: "No progress lines on stderr.") var quiet = false
    @Flag(help: "Print one JSON object instead of the reference line (an array for several bases).") var json = false
    @OptionGroup var registry: RegistryFlags

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let now = Int64(Date().timeIntervalSince1970)
        let requests = try makeRequests(environment: environment, now: now)
        guard (1...CopyCommand.maxJobs).contains(jobs) else { throw UsageError("--jobs must be between 1 and \(CopyCommand.maxJobs) (got \(jobs))") }
        if let outputEnv { try OutputPath.checkWritable(outputEnv, what: "--output-env") }
        let manifestFormat = try format.parsed()
        let layerCompression = try compression.parsed(format: manifestFormat)
        try lockOptions.check()
        let existingLock = try lockOptions.load()

        let client = registry.makeClient(pushTargets: requests.compactMap { $0.target.reference }, environment: environment)
        // One destination per publication (a layout or an archive keeps each one's names until
        // its commit); every path is checked now, before any traffic.
        let targets = try requests.map { try $0.target.location.openTarget(client: client) }
        // Every check has passed: advice now, once for the run.
        if !quiet, let warning = Self.mirrorWarning(requests.map(\.base)) { Output.warning(warning) }
        let progress = TransferProgress(quiet: quiet)
        defer { progress.end() }
        let context = RunContext(client: client, jobs: jobs, onEvent: progress.event)
        let runner = try makePlanRunner(context: context, cacheDir: cacheDir, environment: environment, progress: progress,
                                        lock: lockOptions.open(existingLock))
        var build = SAMBuild(runner: runner)
        build.attest = !noAttestations
        build.compression = layerCompression
        build.format = manifestFormat
        let signatureFormats = try signing.formats()
        if let signer = try signing.signer(for: targets) {
            build.signer = { mutation, subjectName in SigningOptions.attester(signer, formats: signatureFormats, mutation: mutation, subjectName: subjectName) }
        }
        if !noAttestations {
            var noted: Set<String> = []
            for target in targets where noted.insert(target.destination.description).inserted { progress.noteAttestations(target) }
        }

        let outcomes = try await BuildRun(build: build, progress: progress, concurrency: jobs).run(Array(zip(requests, targets)), now: now)
        let results = outcomes.compactMap { try? $0.get() }
        // Each image's output variables are named by its entry (or runtime) alone.
        let offset = matrix == nil ? 0 : (try BuildMatrix.selectedIndex(explicit: matrixIndex, environment: environment) ?? 0)
        let built = outcomes.enumerated().compactMap { index, outcome in
            (try? outcome.get()).map { (name: matrix == nil ? Self.runtimeSuffix($0.runtime) : String(offset + index), result: $0) }
        }
        // Side outputs only now, from the publications that succeeded.
        if !json { for result in results { Output.line(result.finalReference) } }
        // The table is progress unless an entry failed (the closing error points to it).
        let failed = outcomes.filter { (try? $0.get()) == nil }.count
        if requests.count > 1, !quiet || failed > 0 { BuildRun.summaryTable(requests, outcomes).forEach(Output.progress) }
        try lockOptions.save(existing: existingLock, merging: results.flatMap(\.inputs))
        do { try runner.finish() } catch {
            if !quiet { Output.warning("cache not pruned: \(oneLine(error))") }
        }
        if let outputEnv, !built.isEmpty { try Self.append(Self.outputEnvironment(built, single: requests.count == 1), to: outputEnv) }
        if json {
            if requests.count == 1, let only = results.first { try Output.json(only.report) } else { try Output.json(BuildRun.jsonArray(requests, outcomes)) }
        }
        if requests.count == 1, case .failure(let error) = outcomes[0] { throw error }
        if failed > 0 { throw BuildRun.Failed(failed: failed, total: requests.count) }
    }

    /// Harness/Drone output variables. Every image's are written suffixed by what names it in
    /// the run whatever else the run builds, so no name changes when the run grows: its entry
    /// number in a matrix (FINAL_IMAGE_0=...), else its runtime (FINAL_IMAGE_NODEJS18_X=...;
    /// one base per runtime). A run of one image writes them unsuffixed too (FINAL_IMAGE=...).
    static func outputEnvironment(_ built: [(name: String, result: SAMBuildResult)], single: Bool) -> [(key: String, value: String)] {
        let plain = single ? built.first?.result.outputEnvironment ?? [] : []
        return plain + built.flatMap { name, result in
            result.outputEnvironment.map { (key: "\($0.key)_\(name)", value: $0.value) }
        }
    }

    /// `nodejs18.x` as a variable name's suffix: `NODEJS18_X`.
    static func runtimeSuffix(_ runtime: String) -> String {
        String(runtime.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// Bases outside public.ecr.aws/sam/ (a mirror, a layout): one line for the whole run,
    /// naming a few of them.
    static func mirrorWarning(_ bases: [SAMBaseReference]) -> String? {
        let mirrors = bases.filter(\.isMirror).map { $0.location.description }
        guard let first = mirrors.first else { return nil }
        let official = "\(SAMBaseReference.officialRegistry)/\(SAMBaseReference.officialNamespace)"
        guard mirrors.count > 1 else { return "\(first) is not an official image from \(official); building on it as a mirror of one" }
        let shown = mirrors.prefix(2).joined(separator: ", ") + (mirrors.count > 2 ? " and \(mirrors.count - 2) more" : "")
        return "\(mirrors.count) base images are not official images from \(official) (\(shown)); building on them as mirrors of official ones"
    }

    /// Appends, as `echo KEY=VALUE >> $DRONE_OUTPUT` does in Harness/Drone plugin steps.
    static func append(_ variables: [(key: String, value: String)], to path: String) throws {
        let text = variables.map { "\($0.key)=\($0.value)\n" }.joined()
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw UsageError("--output-env \(path): cannot write: \(describeSystemError(error))")
        }
    }
}
