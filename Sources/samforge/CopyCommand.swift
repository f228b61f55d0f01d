import ArgumentParser
import Assembly
import Foundation
import OCI
import Registry

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy an image between registries, OCI layouts and docker archives.",
        discussion: """
        SRC and DST are registry references (default, or docker://REF), oci:DIR[:TAG] or
        docker-archive:FILE[:REF]; any source can go to any destination. An index is copied whole
        (every platform, identical digests) unless --platform picks one; a docker archive holds
        one platform, linux/amd64 unless --platform says otherwise. Blobs the destination has
        are skipped, blobs in another repository of the same registry are mounted, the rest are
        streamed and verified. The last stdout line pins the result: DST@sha256:…
        (HOST/REPO:TAG@sha256:… for a registry). DOCKER_USERNAME/DOCKER_PASSWORD log in to DST's registry.

        Examples:
          samforge copy public.ecr.aws/sam/build-python3.12:1.143.0 registry.example.com/sam/build-python3.12:1.143.0
          samforge copy --platform linux/amd64 docker.io/library/alpine:3.20 oci:./alpine:3.20
          samforge copy oci:./alpine:3.20 docker-archive:alpine.tar:alpine:3.20
          samforge copy --format oci docker.io/library/alpine:3.20 oci:./alpine-oci:3.20
          samforge copy --all-tags registry-a.example.com/team/app registry-b.example.com/team/app
        """
    )

    @Argument(help: "Where the image is read from.") var source: String
    @Argument(help: "Where the image is written to.") var destination: String
    @Option(help: ArgumentHelp("Copy only this platform of an index.", valueName: "os/arch[/variant]")) var platform: String?
    @Flag(help: "Copy every tag of the SRC repository to the DST repository (registries only).") var allTags = false
    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("Write manifests as oci or v2s2 (Docker schema2); blobs keep their digests, manifests get new ones. Default: unchanged, byte for byte.", valueName: "oci|v2s2")) var format: String?
    @Option(help: ArgumentHelp("Blobs transferred at once (1-64).", valueName: "N")) var jobs = 4
    @Option(help: ArgumentHelp("Write the digest of the copied image (sha256:…) to FILE.", valueName: "FILE")) var digestFile: String?
    @Flag(name: .shortAndLong, help: "No progress lines on stderr.") var quiet = false
    @OptionGroup var registry: RegistryFlags

    static let maxJobs = 64

    func run() async throws {
        let from = try ImageLocation(parsing: source)
        let to = try ImageLocation(parsing: destination)
        let wanted = try platform.map { try Platform(parsing: $0) }
        _ = try manifestFormat()
        guard (1...Self.maxJobs).contains(jobs) else { throw UsageError("--jobs must be between 1 and \(Self.maxJobs) (got \(jobs))") }
        let client = registry.makeClient(pushHosts: to.registryHost.map { [$0] } ?? [])
        let progress = CopyProgress(quiet: quiet)

        if allTags {
            try await copyAllTags(from: from, to: to, platform: wanted, client: client, progress: progress)
            return
        }
        let report = try await copy(from: from, to: to, platform: wanted, client: client, progress: progress)
        if let digestFile {
            // As skopeo's --digestfile: the digest alone, no newline.
            do { try Data(report.digest.description.utf8).write(to: URL(fileURLWithPath: digestFile)) } catch {
                throw UsageError("--digest-file \(digestFile): cannot write: \(error.localizedDescription)")
            }
        }
        Output.line(Self.pinned(to, report.digest))
    }

    func copy(from: ImageLocation, to: ImageLocation, platform: Platform?, client: RegistryClient,
              progress: CopyProgress) async throws -> CopyReport {
        let source = try openSource(from, client: client)
        let destination = try openDestination(to, client: client, sourceReference: from.reference)
        let copier = ImageCopier(source: source, destination: destination,
                                 options: CopyOptions(jobs: jobs, platform: platform, format: try manifestFormat(), onEvent: progress.event))
        defer { progress.end() }
        progress.note("copying \(from) to \(destination.description)")
        let report = try await withContext("copy \(from) to \(to)") { try await copier.copy() }
        progress.summary(report)
        return report
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
                     progress: CopyProgress) async throws {
        guard case .registry(let sourceRepository) = from, case .registry(let targetRepository) = to else {
            throw UsageError("--all-tags copies a repository between registries: SRC and DST must both be registry repositories")
        }
        guard !Self.namesTagOrDigest(source), !Self.namesTagOrDigest(destination) else {
            throw UsageError("--all-tags takes repositories without a tag or digest (e.g. registry.example.com/team/app)")
        }
        guard digestFile == nil else { throw UsageError("--digest-file takes one image's digest; it cannot be used with --all-tags") }
        let tags = try await withContext(sourceRepository.repositoryName) {
            try await client.listTags(Repository(sourceRepository))
        }
        guard !tags.isEmpty else { throw AssemblyError.notFound("\(sourceRepository.repositoryName): no tags to copy") }
        progress.note("\(tags.count) tag\(tags.count == 1 ? "" : "s") to copy")
        for tag in tags {
            let target = targetRepository.withTag(tag)
            let report = try await copy(from: .registry(sourceRepository.withTag(tag)), to: .registry(target),
                                        platform: platform, client: client, progress: progress)
            Output.line("\(target.description)@\(report.digest)")
        }
    }

    /// `DST@sha256:…`: the destination as named (`HOST/REPO:TAG@sha256:…` for a registry, a form
    /// docker, kubectl, crane and skopeo accept, and what `build` prints), pinned to the digest.
    static func pinned(_ location: ImageLocation, _ digest: Digest) -> String {
        if case .registry(let reference) = location {
            return Reference(registry: reference.registry, repository: reference.repository, tag: reference.tag).description + "@\(digest)"
        }
        return "\(location)@\(digest)"
    }

    /// Whether a registry location names a tag or digest explicitly (a bare repository gets
    /// `latest` from the parser, which --all-tags must not mistake for a choice).
    static func namesTagOrDigest(_ text: String) -> Bool {
        let name = text.hasPrefix("docker://") ? String(text.dropFirst("docker://".count)) : text
        let last = name.split(separator: "/").last ?? Substring(name)
        return last.contains(":") || last.contains("@")
    }
}

extension ImageLocation {
    var reference: Reference? {
        if case .registry(let reference) = self { return reference }
        return nil
    }
}
