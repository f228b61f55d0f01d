import Foundation
import OCI
import Streams

public struct WriteOptions: Sendable {
    /// Blobs moved at once (`--jobs`); registries rate-limit unbounded parallelism.
    public var jobs: Int
    /// Write one platform's manifest of an index instead of the whole index.
    public var platform: Platform?
    /// Rewrite manifests into this format (`--format`); nil keeps them byte for byte.
    public var format: ManifestFormat?
    /// Shared by every write of a run (each blob moved once; mounts from earlier pushes).
    public var ledger: TransferLedger
    public var onEvent: (@Sendable (TransferEvent) -> Void)?

    public init(jobs: Int = 4, platform: Platform? = nil, format: ManifestFormat? = nil,
                ledger: TransferLedger? = nil, onEvent: (@Sendable (TransferEvent) -> Void)? = nil) {
        self.jobs = jobs
        self.platform = platform
        self.format = format
        self.ledger = ledger ?? TransferLedger(jobs: jobs)
        self.onEvent = onEvent
    }
}

/// The one path that writes images, for `copy`, `append` and `build` alike: reads any source
/// (a registry, a layout, an archive, an image being built) and writes any destination.
/// Blobs first (skipped when present, mounted within a registry, else moved and verified),
/// child manifests next, the root manifest last under its names, then `commit`. A failure
/// lets the destination discard what it wrote, and never leaves a name on a partial image.
public struct ImageWriter: Sendable {
    public let source: ImageSource
    public let destination: ImageDestination
    public let options: WriteOptions

    public init(source: ImageSource, destination: ImageDestination, options: WriteOptions = WriteOptions()) {
        self.source = source
        self.destination = destination
        self.options = options
    }

    /// Writes the image under `names` (none: by digest only). `expecting`: the digest the
    /// destination was pinned to; a different image is refused before any blob moves.
    public func write(names: [String], expecting: Digest? = nil) async throws -> WriteReport {
        do { return try await writeImage(names: names, expecting: expecting) } catch {
            await destination.abort()
            throw error
        }
    }

    func writeImage(names: [String], expecting: Digest?) async throws -> WriteReport {
        let tally = Tally()
        let root = try await source.rootManifest()
        let plan = try await plan(root)
        if let expecting, expecting != plan.root.digest {
            throw AssemblyError.usage("\(destination.description): the destination pins \(expecting) but the image is \(plan.root.digest)")
        }
        let jobs = max(1, min(options.jobs, destination.maxConcurrentBlobWrites))
        let blobs = try blobs(of: plan.sourceManifests)
        options.onEvent?(.blobsPlanned(count: blobs.count, size: blobs.reduce(0) { $0 + max(0, $1.size) }))
        try await BlobTransfer(source: source, destination: destination, ledger: options.ledger, onEvent: options.onEvent)
            .transferAll(blobs, jobs: jobs, tally: tally)
        for manifest in plan.children {
            if try await !destination.hasManifest(manifest.digest) { try await destination.putManifest(manifest) }
            options.onEvent?(.manifestPushed(manifest.digest, mediaType: manifest.mediaType, tag: nil))
        }
        try await destination.putRootManifest(plan.root, names: names)
        options.onEvent?(.manifestPushed(plan.root.digest, mediaType: plan.root.mediaType, tag: names.first))
        try await destination.commit()
        var report = WriteReport(digest: plan.root.digest, mediaType: plan.root.mediaType)
        report.names = names
        if root.isIndex, plan.children.isEmpty, let picked = plan.sourceManifests.first {
            report.manifests = [(picked.digest, plan.root.descriptor())]  // one platform picked from an index
        } else {
            report.manifests = [(root.digest, plan.root.descriptor())] + zip(plan.sourceManifests, plan.children).map { ($0.digest, $1.descriptor()) }
        }
        report.platform = plan.platform
        tally.fill(&report)
        return report
    }

    /// What is written: the manifests as the destination gets them (converted by `--format`),
    /// and the source's own manifests, whose blobs move.
    struct Plan {
        var root: RawManifest
        var children: [RawManifest] = []
        var sourceManifests: [RawManifest]
        var platform: Platform?
    }

    func plan(_ root: RawManifest) async throws -> Plan {
        guard root.isIndex else { return Plan(root: try converted(manifest: root), sourceManifests: [root]) }
        let index = try decodeIndex(root)
        if let child = try singleChild(of: index) {
            let manifest = try await childManifest(child.digest)
            return Plan(root: try converted(manifest: manifest), sourceManifests: [manifest], platform: child.platform)
        }
        // Manifests are small: read them all first, so every platform's blobs share one pool of
        // transfers instead of each platform ending on a tail of idle jobs.
        var children: [RawManifest] = []
        for child in index.manifests { children.append(try await childManifest(child.digest)) }
        let written = try children.map(converted(manifest:))
        let convertedRoot = try converted(index: root, children: Dictionary(zip(children.map(\.digest), written)) { first, _ in first })
        return Plan(root: convertedRoot, children: written, sourceManifests: children)
    }

    func childManifest(_ digest: Digest) async throws -> RawManifest {
        let manifest = try await source.manifest(digest)
        if manifest.isIndex { throw AssemblyError.unsupported("\(source.description): nested indexes are not supported") }
        return manifest
    }

    /// `manifest` in the requested format (checked before any blob moves).
    func converted(manifest: RawManifest) throws -> RawManifest {
        try converting(manifest, what: "manifest \(manifest.digest.short)") { try $0.convert(manifest: manifest) }
    }

    func converted(index: RawManifest, children: [Digest: RawManifest]) throws -> RawManifest {
        try converting(index, what: "index") { try $0.convert(index: index, children: children) }
    }

    /// Runs a conversion when `--format` asks for one, its errors in the source's words.
    private func converting(_ raw: RawManifest, what: String, _ convert: (ManifestFormat) throws -> RawManifest) throws -> RawManifest {
        guard let format = options.format else { return raw }
        do { return try convert(format) } catch let error as ManifestFormat.ConversionError {
            throw AssemblyError.unsupported("\(source.description): \(error.message)")
        } catch {
            throw AssemblyError.invalidImage("\(source.description): unreadable \(what)")
        }
    }

    /// The child to write instead of the whole index: the `--platform` one, or for a
    /// destination that holds one platform (a docker archive) linux/amd64, else the index's
    /// only child. nil means "write the whole index".
    func singleChild(of index: ImageIndex) throws -> Descriptor? {
        if let platform = options.platform {
            guard let child = index.child(for: platform) else {
                throw AssemblyError.notFound("\(source.description): no \(platform) image in the index (available: \(platformList(index)))")
            }
            return child
        }
        guard destination.requiresSinglePlatform else { return nil }
        if let child = index.child(for: .linuxAMD64) { return child }
        if index.manifests.count == 1 { return index.manifests[0] }
        throw AssemblyError.notFound("\(source.description): \(destination.description) holds one platform and the index has no \(Platform.linuxAMD64) image; pick one with --platform (available: \(platformList(index)))")
    }

    func decodeIndex(_ raw: RawManifest) throws -> ImageIndex {
        do { return try raw.decodeIndex() } catch { throw AssemblyError.invalidImage("\(source.description): unreadable index") }
    }

    /// Configs and layers of the manifests, each distinct blob once.
    func blobs(of manifests: [RawManifest]) throws -> [Descriptor] {
        var blobs: [Descriptor] = []
        var seen: Set<Digest> = []
        for manifest in manifests {
            let image: ImageManifest
            do { image = try manifest.decodeManifest() } catch {
                throw AssemblyError.invalidImage("\(source.description): unreadable manifest \(manifest.digest.short)")
            }
            blobs += ([image.config] + image.layers).filter { seen.insert($0.digest).inserted }
        }
        return blobs
    }
}

func platformList(_ index: ImageIndex) -> String {
    let names = index.manifests.compactMap { $0.platform?.description }
    return names.isEmpty ? "none" : names.joined(separator: ", ")
}
