import ArgumentParser
import Assembly
import Build
import Foundation
import Layers
import OCI
import Registry
import SAM
import Signing

/// `samforge append BASE TARGET`: files and paths from other images as one new layer, plus
/// config changes, pushed as TARGET. The generic form of what `build` does for SAM.
struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Add files (from disk or other images) and config changes to an image.",
        usage: "samforge append [<options>] <base> <target>",
        discussion: """
        One new layer holds every --file, --dir and --copy-from, root-owned; a file keeps \
        its own mode unless one is given.
        The base layers are copied byte for byte (mounted within one registry).
        --env and --label add or replace, --entrypoint clears an inherited Cmd as \
        Docker's ENTRYPOINT does, and --cmd, --workdir and --user replace.
        The same inputs give the same digest: mtimes are 0 (or SOURCE_DATE_EPOCH) and \
        the created time is the base image's own.
        The last stdout line is TARGET:TAG@sha256:DIGEST (TAG is latest unless given).
        Examples:
          samforge append --file ./hello:/usr/local/bin/hello:0755 \\
              --entrypoint '["/usr/local/bin/hello"]' \\
              public.ecr.aws/sam/build-python3.12:1.143.0 \\
              registry.example.com/team/python-hello:1
          samforge append --env TOOLS=/opt/tools \\
              --copy-from harness/aws-sam-plugin:1.1.2:/opt/harness/bin:/opt/tools \\
              docker.io/library/alpine:3.20 registry.example.com/team/tools:1
        """
    )

    @Argument(help: "The base image: any location, or scratch.") var base: String
    @Argument(help: "Where the result goes: any location.") var target: String
    @Option(name: .customLong("file"), help: ArgumentHelp("Add a local file or directory tree, or a download, at /DEST with an octal MODE if given (repeatable).", valueName: "SRC:/DEST[:MODE]"))
    var files: [String] = []
    @Option(name: .customLong("dir"), help: ArgumentHelp("Add an empty directory, with mode 0755 unless another is given (repeatable).", valueName: "/PATH[:MODE]"))
    var directories: [String] = []
    @Option(name: .customLong("copy-from"), help: ArgumentHelp("Copy a file or tree from another image to /DEST, else to the same path (repeatable).", valueName: "IMAGE:/SRC[:/DEST]"))
    var copies: [String] = []
    @Option(name: .customLong("env"), help: ArgumentHelp("Set an environment variable (repeatable).", valueName: "KEY=VALUE")) var env: [String] = []
    @Option(name: .customLong("label"), help: ArgumentHelp("Set a label (repeatable).", valueName: "KEY=VALUE")) var labels: [String] = []
    @Option(help: ArgumentHelp("Entrypoint: a JSON array (exec form) or a command line (run by /bin/sh -c).", valueName: "JSON|CMD")) var entrypoint: String?
    @Option(help: ArgumentHelp("Cmd: a JSON array (exec form) or a command line (run by /bin/sh -c).", valueName: "JSON|CMD")) var cmd: String?
    @Option(help: ArgumentHelp("Working directory, created in the new layer (0755).", valueName: "DIR")) var workdir: String?
    @Option(help: ArgumentHelp("User (name, uid or uid:gid).", valueName: "USER")) var user: String?
    @Option(name: .customLong("tag"), help: ArgumentHelp("Also name the result TAG at the target (repeatable).", valueName: "TAG")) var tags: [String] = []
    @Option(help: ArgumentHelp("The platforms to build on: os/arch[/variant], a list of them (a,b), or all (default linux/amd64).", valueName: "PLATFORMS"))
    var platform: String?
    @Option(help: ArgumentHelp("The created time: now or an RFC 3339 time (default: SOURCE_DATE_EPOCH, else the base image's).", valueName: "now|TIME"))
    var created: String?
    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("The layer cache (default $XDG_CACHE_HOME/samforge, else ~/.cache/samforge).", valueName: "DIR"))
    var cacheDir: String?
    @Option(name: [.customShort("j"), .long], help: ArgumentHelp("Blobs transferred at once (1-64).", valueName: "N")) var jobs = 4
    @Flag(help: "Do not attach the SBOM and provenance referrers.") var noAttestations = false
    @OptionGroup var format: FormatOption
    @OptionGroup var compression: CompressionOption
    @OptionGroup var signing: SigningOptions
    @OptionGroup var lockOptions: LockOptions
    @Flag(help: "Print one JSON object instead of the reference line.") var json = false
    @Flag(name: .shortAndLong, help: "No progress lines on stderr.") var quiet = false
    @OptionGroup var registry: RegistryFlags

    /// What `--json` prints.
    struct Result: Encodable {
        var reference: String
        var digest: Digest
        var mediaType: String
        var names: [String]
        var platforms: [String]
        var dropped: [String]
        var layers: [Digest]
        var sbom: [Digest]?
        var provenance: [Digest]?
        var blobsCopied: Int
        var blobsSkipped: Int
        var blobsMounted: Int
        var bytesCopied: Int64
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let baseLocation = try ImageLocation(parsing: base)
        let targetLocation = try ImageLocation(parsing: target)
        let platforms = try AppendArguments.platforms(platform)
        guard (1...CopyCommand.maxJobs).contains(jobs) else { throw UsageError("--jobs must be between 1 and \(CopyCommand.maxJobs) (got \(jobs))") }
        let plan = try makePlan(environment: environment)
        let manifestFormat = try format.parsed()
        try lockOptions.check()
        let existingLock = try lockOptions.load()

        let client = registry.makeClient(pushTargets: targetLocation.registryReference.map { [$0] } ?? [], environment: environment)
        let destination = try targetLocation.openTarget(client: client)
        if destination.destination.requiresSinglePlatform, !platforms.isSingle {
            throw UsageError("\(target): a docker archive holds one platform's image; give --platform one os/arch (or write to a registry or an oci: layout for several)")
        }
        let names = try self.names(at: destination)
        let (signer, signatureFormats) = (try signing.signer(for: [destination]), try signing.formats())

        let progress = TransferProgress(quiet: quiet)
        defer { progress.end() }
        let context = RunContext(client: client, jobs: jobs, onEvent: progress.event)
        let runner = try makePlanRunner(context: context, cacheDir: cacheDir, environment: environment, progress: progress,
                                        lock: lockOptions.open(existingLock))
        let base = try await runner.base(baseLocation, platforms: platforms)
        if !noAttestations { progress.noteAttestations(destination) }
        let (attest, parameters, subjectName) = (!noAttestations, parameters(), destination.reference(name: nil))
        // The base's layers move to the target while the new layer is built.
        let publisher = runner.publisher(label: "target \(targetLocation)")
        let (published, mutation) = try await publisher.publish(to: destination.destination, prefetching: base.layers, from: base.source) {
            let mutation = try await runner.apply(plan, to: base)
            if !mutation.dropped.isEmpty {
                progress.note("platforms left out (not chosen): \(mutation.dropped.map(\.description).joined(separator: ", "))")
            }
            let request = AttestationRequest(recipe: "append", parameters: parameters, tag: names.first)
            var attesters: [Attester] = attest ? [BuildAttester(mutation: mutation, request: request, subjectName: subjectName, workspace: runner.workspace)] : []
            if let signer { attesters.append(SigningOptions.attester(signer, formats: signatureFormats, mutation: mutation, subjectName: subjectName)) }
            return (Publication(image: mutation.image, names: names, attesters: attesters, expecting: destination.pinned,
                                format: manifestFormat), mutation)
        }
        progress.noteFlavour(destination, published)
        progress.summary(published.content)
        // Side outputs only now, from what was published.
        try lockOptions.save(existing: existingLock, merging: mutation.platforms.flatMap(\.inputs))
        do { try runner.finish() } catch {
            if !quiet { Output.warning("cache not pruned: \(oneLine(error))") }
        }
        let reference = destination.pinnedReference(name: names.first, digest: published.digest)
        guard json else { return Output.line(reference) }
        func attached(_ kind: String) -> [Digest]? {
            noAttestations || destination.destination.referrersSupport == .none ? nil
                : published.attachments.filter { $0.kind == kind }.map(\.descriptor.digest)
        }
        let content = published.content
        try Output.json(Result(reference: reference, digest: published.digest, mediaType: published.mediaType, names: names,
                               platforms: mutation.platforms.map(\.platform.description),
                               dropped: mutation.dropped.map(\.description),
                               layers: Array(Set(mutation.platforms.flatMap { $0.image.newLayers.map(\.digest) })).sorted { $0.description < $1.description },
                               sbom: attached(BuildAttester.sbomKind), provenance: attached(BuildAttester.provenanceKind),
                               blobsCopied: content.blobsCopied, blobsSkipped: content.blobsSkipped,
                               blobsMounted: content.blobsMounted, bytesCopied: content.bytesCopied))
    }

    /// The command's inputs as the provenance records them (never credentials).
    func parameters() -> [String: String] {
        var parameters = ["base": base, "target": target]
        func list(_ name: String, _ values: [String]) { if !values.isEmpty { parameters[name] = values.joined(separator: "\n") } }
        list("file", files.map(redactedURL))
        list("dir", directories)
        list("copy-from", copies)
        list("env", env.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
        list("label", labels)
        list("tag", tags)
        for (name, value) in [("entrypoint", entrypoint), ("cmd", cmd), ("workdir", workdir), ("user", user), ("platform", platform),
                              ("compression", compression.text)] {
            if let value { parameters[name] = value }
        }
        return parameters
    }

    /// TARGET's own name (its tag, `latest` when it has none and no --tag is given) and every
    /// --tag, as the destination names images.
    func names(at destination: ImageTarget) throws -> [String] {
        for tag in tags where !Reference.isValidTag(tag) {
            throw UsageError("--tag \(escapedForMessage(tag)): a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
        }
        if case .registry(let reference) = destination.location, reference.digest != nil {
            throw UsageError("\(target): a target takes a tag, not a digest")
        }
        var own = destination.names
        if case .registry = destination.location, !CopyCommand.namesTagOrDigest(target), !tags.isEmpty { own = [] }
        let extra = try tags.map { tag -> String in
            guard let name = destination.name(forTag: tag) else {
                throw UsageError("--tag \(tag): name the archive's image as docker-archive:FILE:REPO to tag it")
            }
            return name
        }
        var seen: Set<String> = []
        return (own + extra).filter { seen.insert($0).inserted }
    }

    /// Every input checked before any traffic (exit 2).
    func makePlan(environment: [String: String]) throws -> ImagePlan {
        var operations: [ImagePlan.Operation] = []
        var history: [ImagePlan.HistoryPart] = []
        if let workdir {
            guard workdir.hasPrefix("/") else { throw UsageError("--workdir \(workdir): give an absolute path") }
            operations.append(.directory(workdir, mode: 0o755))
        }
        for text in files {
            let file = try AppendArguments.file(text)
            operations.append(.file(file))
            history.append(.text("ADD \(file.input.name) \(file.destination)"))
        }
        for text in directories {
            let directory = try AppendArguments.directory(text)
            operations.append(directory)
            if case .directory(let path, _) = directory { history.append(.text("mkdir \(path)")) }
        }
        for text in copies {
            let copy = try AppendArguments.copy(text)
            operations.append(.copy(copy))
            history += [.text("COPY --from="), .imageID(of: copy.image), .text(" \(copy.source) \(copy.destination)")]
        }
        var changes = ConfigChanges()
        changes.env = try env.map { try AppendArguments.pair($0, option: "--env") }
        changes.labels = try labels.map { try AppendArguments.pair($0, option: "--label") }
        changes.entrypoint = try entrypoint.map { try AppendArguments.argumentList($0, option: "--entrypoint") }
        changes.cmd = try cmd.map { try AppendArguments.argumentList($0, option: "--cmd") }
        changes.workingDir = workdir
        changes.user = user
        let mtime: Int64
        do { mtime = try LayerWriter.mtime(fromEnvironment: environment) } catch { throw UsageError(String(describing: error)) }
        let epochGiven = !(environment["SOURCE_DATE_EPOCH"] ?? "").isEmpty
        let createdTime: ImagePlan.Created
        createdTime = try ImagePlan.Created(option: created, epoch: epochGiven ? mtime : nil, now: Int64(Date().timeIntervalSince1970))
        var layers: [ImagePlan.Layer] = []
        if !operations.isEmpty {
            let steps = history.isEmpty ? [ImagePlan.HistoryPart.text("WORKDIR \(workdir ?? "")")] : history
            layers.append(ImagePlan.Layer(operations: operations, history: Self.joined(steps) + [.text(" # samforge append")], label: "new files"))
        }
        return ImagePlan(layers: layers, changes: changes, mtime: mtime, created: createdTime, compression: try compression.parsed(format: try format.parsed()))
    }

    /// History steps joined by ` && ` (a step may span several parts).
    static func joined(_ parts: [ImagePlan.HistoryPart]) -> [ImagePlan.HistoryPart] {
        var result: [ImagePlan.HistoryPart] = []
        for part in parts {
            if case .text(let text) = part, text.hasPrefix("ADD ") || text.hasPrefix("mkdir ") || text.hasPrefix("COPY "), !result.isEmpty {
                result.append(.text(" && "))
            }
            result.append(part)
        }
        return result
    }
}
