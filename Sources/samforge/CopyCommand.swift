import ArgumentParser
import Assembly
import Foundation
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
    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("Rewrite manifests as OCI or Docker schema2 (blobs keep their digests; default: unchanged).", valueName: "oci|v2s2")) var format: String?
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
        _ = try manifestFormat()
        guard (1...Self.maxJobs).contains(jobs) else { throw UsageError("--jobs must be between 1 and \(Self.maxJobs) (got \(jobs))") }
        if let digestFile { try OutputPath.checkWritable(digestFile, what: "--digest-file") }
        let client = registry.makeClient(pushHosts: to.registryReference.map { [$0.host] } ?? [])
        let progress = TransferProgress(quiet: quiet)
        let ledger = TransferLedger(jobs: jobs, client: client)

        if allTags {
            let results = try await copyAllTags(from: from, to: to, platform: wanted, client: client, progress: progress, ledger: ledger)
            if json { try Output.json(results) }
            return
        }
        let result = try await copy(from: from, to: to, platform: wanted, client: client, progress: progress, ledger: ledger)
        if let digestFile {
            // As skopeo's --digestfile: the digest alone, no newline.
            do { try Data(result.digest.description.utf8).write(to: URL(fileURLWithPath: digestFile)) } catch {
                throw UsageError("--digest-file \(digestFile): cannot write: \(describeSystemError(error))")
            }
        }
        if json { try Output.json(result) } else { Output.line(result.reference) }
    }

    func copy(from: ImageLocation, to: ImageLocation, platform: Platform?, client: RegistryClient,
              progress: TransferProgress, ledger: TransferLedger) async throws -> Result {
        let source = try from.openSource(client: client, platform: platform ?? .linuxAMD64)
        let target = try to.openTarget(client: client, sourceReference: from.registryReference)
        let options = WriteOptions(jobs: jobs, platform: platform, format: try manifestFormat(), ledger: ledger, onEvent: progress.event)
        defer { progress.end() }
        progress.note("copying \(from) to \(target.destination.description)")
        let report = try await ImageWriter(source: source, destination: target.destination, options: options)
            .write(names: target.names, expecting: target.pinned)
        let referrers = try await copyReferrers(of: report, from: source, to: target, options: options, progress: progress)
        progress.summary(report)
        return Result(reference: target.pinnedReference(name: target.names.first, digest: report.digest), digest: report.digest,
                      mediaType: report.mediaType, platform: report.platform?.description, blobsCopied: report.blobsCopied,
                      blobsSkipped: report.blobsSkipped, blobsMounted: report.blobsMounted, bytesCopied: report.bytesCopied,
                      referrersCopied: referrers)
    }

    /// The referrers of every manifest written (unless --no-referrers, or the manifests were
    /// rewritten by --format: their referrers name the old digests).
    func copyReferrers(of report: WriteReport, from source: ImageSource, to target: ImageTarget, options: WriteOptions,
                       progress: TransferProgress) async throws -> Int {
        guard !noReferrers, target.destination.referrersSupport != .none else { return 0 }
        if format != nil, report.manifests.contains(where: { $0.source != $0.written.digest }) {
            progress.note("referrers: not copied (--format rewrote the manifests they refer to)")
            return 0
        }
        let count = try await step("referrers") {
            try await ReferrerCopier(source: source, destination: target.destination, options: options).copy(for: report.manifests)
        }
        if count > 0 { progress.note("referrers: \(count) copied") }
        return count
    }

    func manifestFormat() throws -> ManifestFormat? {
        guard let format else { return nil }
        guard let parsed = ManifestFormat(rawValue: format.lowercased()) else {
            throw UsageError("--format takes oci or v2s2 (got \"\(format)\")")
        }
        return parsed
    }

    /// Every tag `listTags` reports, each copied as its own image (registry → registry only).
    func copyAllTags(from: ImageLocation, to: ImageLocation, platform: Platform?, client: RegistryClient,
                     progress: TransferProgress, ledger: TransferLedger) async throws -> [Result] {
        guard case .registry(let sourceRepository) = from, case .registry(let targetRepository) = to else {
            throw UsageError("--all-tags copies every tag of one registry repository to another (e.g. registry-a.example.com/team/app registry-b.example.com/team/app); copy a local image by its name instead: samforge copy oci:DIR:TAG DST")
        }
        guard !Self.namesTagOrDigest(source), !Self.namesTagOrDigest(destination) else {
            throw UsageError("--all-tags takes repositories without a tag or digest (e.g. registry.example.com/team/app)")
        }
        guard digestFile == nil else { throw UsageError("--digest-file takes one image's digest; it cannot be used with --all-tags") }
        let tags = try await client.listTags(Repository(sourceRepository))
        guard !tags.isEmpty else { throw AssemblyError.notFound("\(sourceRepository.repositoryName): no tags to copy") }
        progress.note("\(tags.count) tag\(tags.count == 1 ? "" : "s") to copy")
        var results: [Result] = []
        for tag in tags {
            let result = try await copy(from: .registry(sourceRepository.withTag(tag)), to: .registry(targetRepository.withTag(tag)),
                                        platform: platform, client: client, progress: progress, ledger: ledger)
            if !json { Output.line(result.reference) }
            results.append(result)
        }
        return results
    }

    /// Whether a registry location names a tag or digest explicitly (a bare repository gets
    /// `latest` from the parser, which --all-tags must not mistake for a choice).
    static func namesTagOrDigest(_ text: String) -> Bool {
        let name = text.hasPrefix("docker://") ? String(text.dropFirst("docker://".count)) : text
        let last = name.split(separator: "/").last ?? Substring(name)
        return last.contains(":") || last.contains("@")
    }
}
