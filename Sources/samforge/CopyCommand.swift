import ArgumentParser
import Assembly
import Foundation
import Layers
import OCI
import Registry
import Streams

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy an image between registries, OCI layouts and docker archives.",
        usage: "samforge copy [<options>] <source> <destination>",
        discussion: """
        SRC and DST are locations: a registry reference (or docker://REF), \
        oci:DIR[:TAG] or docker-archive:FILE[:REF]; any source goes to any destination.
        An index is copied whole, every platform with its digest, unless --platform \
        picks one; a docker archive holds one platform (linux/amd64 by default).
        Blobs the destination has are skipped, those in another repository of its \
        registry are mounted, and the rest are streamed and verified.
        The last stdout line pins the result: DST@sha256:DIGEST.
        DOCKER_USERNAME and DOCKER_PASSWORD log in to the destination's registry.
        Examples:
          samforge copy public.ecr.aws/sam/build-python3.12:1.143.0 \\
              registry.example.com/sam/build-python3.12:1.143.0
          samforge copy --platform linux/amd64 docker.io/library/alpine:3.20 \\
              oci:./alpine:3.20
          samforge copy oci:./alpine:3.20 docker-archive:alpine.tar:alpine:3.20
          samforge copy --format oci docker.io/library/alpine:3.20 oci:./alpine:oci
          samforge copy --all-tags registry-a.example.com/team/app \\
              registry-b.example.com/team/app
        """
    )

    @Argument(help: "Where the image is read from.") var source: String
    @Argument(help: "Where the image is written to.") var destination: String
    @Option(help: ArgumentHelp("Copy only this platform of an index.", valueName: "os/arch[/variant]")) var platform: String?
    @Flag(name: [.customShort("a"), .long], help: "Copy every tag of repository SRC to repository DST.") var allTags = false
    @OptionGroup var format: FormatOption
    @Option(name: .customLong("compression"), help: ArgumentHelp("Recompress every layer not in ALGO (gzip or zstd), at :LEVEL if given (gzip 1-9, zstd 1-19); zstd makes the manifests OCI.", valueName: "ALGO[:LEVEL]"))
    var compression: String?
    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("The layer cache, where --compression keeps the layers it recompressed (default as for append).", valueName: "DIR"))
    var cacheDir: String?
    @Option(name: [.customShort("j"), .long], help: ArgumentHelp("Blobs transferred at once (1-64).", valueName: "N")) var jobs = 4
    @Option(help: ArgumentHelp("Write the digest of the copy (sha256:...) to FILE.", valueName: "FILE")) var digestFile: String?
    @Flag(help: "Do not copy referrers (SBOMs, provenance, signatures).") var noReferrers = false
    @Flag(help: "Print one JSON object (an array with --all-tags).") var json = false
    @Flag(name: .shortAndLong, help: "No progress lines on stderr.") var quiet = false
    @OptionGroup var registry: RegistryFlags

    static let maxJobs = 64

    /// What `--json` prints for each image copied.
    struct Result: Encodable {
        var reference: String
        var digest: Digest
        var mediaType: String
        var platform: String?
        var blobsCopied: Int
        var blobsSkipped: Int
        var blobsMounted: Int
        var bytesCopied: Int64
        var referrersCopied: Int
    }

    func run() async throws {
        let from = try ImageLocation(parsing: source)
        let to = try ImageLocation(parsing: destination)
        let wanted = try platform.map(platformOption)
        _ = try CompressionOption.parse(compression, format: try format.parsed())
        guard (1...Self.maxJobs).contains(jobs) else { throw UsageError("--jobs must be between 1 and \(Self.maxJobs) (got \(jobs))") }
        if let digestFile { try OutputPath.checkWritable(digestFile, what: "--digest-file") }
        let client = registry.makeClient(pushTargets: to.registryReference.map { [$0] } ?? [])
        let progress = TransferProgress(quiet: quiet)
        let context = RunContext(client: client, jobs: jobs, onEvent: progress.event)

        if allTags {
            var copied: [Result] = []
            do { try await copyAllTags(from: from, to: to, platform: wanted, context: context, progress: progress) { copied.append($0) } } catch {
                // The tags copied before the failure are reported, as their lines are without --json.
                if json, !copied.isEmpty { try Output.json(copied) }
                throw error
            }
            if json { try Output.json(copied) }
            return
        }
        let result = try await copy(from: from, to: to, platform: wanted, context: context, progress: progress)
        // Side outputs only now, from what was published.
        if let digestFile {
            // As skopeo's --digestfile: the digest alone, no newline.
            do { try Data(result.digest.description.utf8).write(to: URL(fileURLWithPath: digestFile)) } catch {
                throw UsageError("--digest-file \(digestFile): cannot write: \(describeSystemError(error))")
            }
        }
        if json { try Output.json(result) } else { Output.line(result.reference) }
    }

    /// One publication: the image, then (unless --no-referrers) its referrers and cosign tags,
    /// then DST's name, then the commit.
    func copy(from: ImageLocation, to: ImageLocation, platform: Platform?, context: RunContext,
              progress: TransferProgress) async throws -> Result {
        var source = try from.openSource(client: context.client, platform: platform ?? .linuxAMD64)
        let target = try to.openTarget(client: context.client, sourceReference: from.registryReference)
        defer { progress.end() }
        progress.note("copying \(from.displayName) to \(to.displayName)")
        var referrers = !noReferrers
        if let compression = try CompressionOption.parse(compression, format: try format.parsed()) {
            let image = try recompressed(source, as: compression, to: target, platform: platform, context: context, progress: progress)
            if try await step("recompressing", { try await image.rewroteManifests() }) {
                // Said only when there were some: the source's own root's referrers and cosign tags.
                if referrers, case let count = await Self.referrerCount(source), count > 0 {
                    progress.note("referrers: \(count) not copied (--compression rewrote the manifests they refer to)")
                }
                referrers = false
            }
            source = image
        }
        // A docker archive has no place for them: said, not dropped silently.
        if referrers, target.destination.referrersSupport == .none, case let count = await Self.referrerCount(source), count > 0 {
            progress.note("referrers: \(count) not copied (a docker archive keeps none: copy to a registry or an oci: layout to keep them)")
            referrers = false
        }
        let attesters: [Attester] = referrers ? [CopiedReferrers(source: source, note: { progress.note($0) })] : []
        let publication = Publication(image: source, names: target.names, attesters: attesters, expecting: target.pinned,
                                      platform: platform, format: try format.parsed())
        let published = try await Publisher(context: context).publish(publication, to: target.destination)
        if !published.attachments.isEmpty { progress.note("referrers: \(published.attachments.count) copied") }
        progress.noteFlavour(target, published)
        progress.summary(published.content)
        let report = published.content
        return Result(reference: target.pinnedReference(name: published.names.first, digest: report.digest), digest: report.digest,
                      mediaType: report.mediaType, platform: report.platform?.description, blobsCopied: report.blobsCopied,
                      blobsSkipped: report.blobsSkipped, blobsMounted: report.blobsMounted, bytesCopied: report.bytesCopied,
                      referrersCopied: published.attachments.count)
    }

    /// The referrers and cosign tags of the source's root (0 when they cannot be listed).
    static func referrerCount(_ source: ImageSource) async -> Int {
        guard let root = try? await source.rootManifest().digest else { return 0 }
        return ((try? await source.referrers(of: root).count) ?? 0) + ((try? await source.cosignTags(of: root).count) ?? 0)
    }

    /// `source` with its layers recompressed into the cache (only what `target` gets of an
    /// index); one line when a Docker schema2 image has to become OCI.
    func recompressed(_ source: ImageSource, as compression: Compression, to target: ImageTarget, platform: Platform?,
                      context: RunContext, progress: TransferProgress) throws -> RecompressedImage {
        let cache = try BlobCache(root: BlobCache.defaultRoot(explicit: cacheDir, environment: ProcessInfo.processInfo.environment))
        let writer = ImageWriter(source: source, destination: target.destination, context: context, platform: platform)
        return RecompressedImage(base: source, compression: compression, cache: cache, writer: writer,
                                 onLayer: { progress.note($0) }, onOCI: { progress.note("manifest: OCI, not Docker schema2, which has no media type for \(compression.algorithm) layers") })
    }

    /// Every tag `listTags` reports, each copied as its own image (registry → registry only),
    /// in order until one fails; `copied` hears of each.
    func copyAllTags(from: ImageLocation, to: ImageLocation, platform: Platform?, context: RunContext,
                     progress: TransferProgress, copied: (Result) -> Void) async throws {
        guard case .registry(let sourceRepository) = from, case .registry(let targetRepository) = to else {
            throw UsageError("--all-tags copies every tag of one registry repository to another (e.g. registry-a.example.com/team/app registry-b.example.com/team/app); copy a local image by its name instead: samforge copy oci:DIR:TAG DST")
        }
        guard !Self.namesTagOrDigest(source), !Self.namesTagOrDigest(destination) else {
            throw UsageError("--all-tags takes repositories without a tag or digest (e.g. registry.example.com/team/app)")
        }
        guard digestFile == nil else { throw UsageError("--digest-file takes one image's digest; it cannot be used with --all-tags") }
        let tags = try await context.client.listTags(Repository(sourceRepository))
        guard !tags.isEmpty else { throw AssemblyError.notFound("\(sourceRepository.repositoryName): no tags to copy") }
        progress.note("\(tags.count) tag\(tags.count == 1 ? "" : "s") to copy")
        for tag in tags {
            let result = try await copy(from: .registry(sourceRepository.withTag(tag)), to: .registry(targetRepository.withTag(tag)),
                                        platform: platform, context: context, progress: progress)
            if !json { Output.line(result.reference) }
            copied(result)
        }
    }

    /// Whether a registry location names a tag or digest explicitly (a bare repository gets
    /// `latest` from the parser, which --all-tags must not mistake for a choice).
    static func namesTagOrDigest(_ text: String) -> Bool {
        let name = text.hasPrefix("docker://") ? String(text.dropFirst("docker://".count)) : text
        let last = name.split(separator: "/").last ?? Substring(name)
        return last.contains(":") || last.contains("@")
    }
}
