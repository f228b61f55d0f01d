import Foundation
import OCI
import Streams

/// Writes an image's **content** — the one path that moves bytes, for the image of `copy`,
/// `append` and `build` and for every artifact attached to it: reads any source (a registry,
/// a layout, an archive, an image being built, an artifact in memory) and writes any
/// destination. Blobs first (skipped when present, mounted within a registry, else moved and
/// verified), then child manifests, then the root manifest, all by digest: nothing is named
/// here (`Publisher` names, after the attachments), and a failure is the publisher's to abort.
public struct ImageWriter: Sendable {
    public let source: ImageSource
    public let destination: ImageDestination
    public let context: RunContext
    /// Write one platform's manifest of an index instead of the whole index (`--platform`).
    public var platform: Platform?
    /// Rewrite manifests into this format (`--format`); nil keeps them byte for byte.
    public var format: ManifestFormat?
    /// Blobs already moved for this write (a base's layers, while its new layers were built).
    var prefetched: Prefetched?

    public init(source: ImageSource, destination: ImageDestination, context: RunContext,
                platform: Platform? = nil, format: ManifestFormat? = nil) {
        self.source = source
        self.destination = destination
        self.context = context
        self.platform = platform
        self.format = format
    }

    /// Writes the content. `expecting`: the digest the destination was pinned to; a different
    /// image is refused before any blob moves.
    public func write(expecting: Digest? = nil) async throws -> WriteReport {
        let tally = prefetched?.tally ?? Tally()
        let root = try await source.rootManifest()
        let plan = try await plan(root)
        if let expecting, expecting != plan.root.digest {
            throw AssemblyError.usage("\(destination.description): the destination pins \(expecting) but the image is \(plan.root.digest)")
        }
        let jobs = max(1, min(context.jobs, destination.maxConcurrentBlobWrites))
        let blobs = try blobs(of: plan.sourceManifests).filter { !(prefetched?.digests.contains($0.digest) ?? false) }
        context.emit(.blobsPlanned(count: blobs.count, size: blobs.reduce(0) { $0 + max(0, $1.size) }))
        try await BlobTransfer(source: source, destination: destination, context: context).transferAll(blobs, jobs: jobs, tally: tally)
        for manifest in plan.children + [plan.root] {
            // Said when written: one the destination holds already (an image being signed) is not.
            guard try await !destination.hasManifest(manifest.digest) else { continue }
            try await destination.putManifest(manifest)
            context.emit(.manifestPushed(manifest.digest, mediaType: manifest.mediaType, tag: nil))
        }
        var report = WriteReport(root: plan.root)
        if root.isIndex, plan.children.isEmpty, let picked = plan.sourceManifests.first {
            report.manifests = [(picked.digest, plan.root.descriptor())]  // one platform picked from an index
        } else {
            report.manifests = [(root.digest, plan.root.descriptor())] + zip(plan.sourceManifests, plan.children).map { ($0.digest, $1.descriptor()) }
        }
        report.platform = plan.platform
        tally.fill(&report)
        return report
    }

    /// Blobs moved ahead of the write, and their outcomes (counted in its report).
    struct Prefetched: Sendable {
        let digests: Set<Digest>
        let tally: Tally
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
        guard let format else { return raw }
        // The format asked for does not fit this image: the flags are what to change (exit 2).
        do { return try convert(format) } catch let error as ManifestFormat.ConversionError {
            throw error.misfit ? AssemblyError.usage("\(source.description): \(error.message)")
                               : AssemblyError.unsupported("\(source.description): \(error.message)")
        } catch {
            throw AssemblyError.invalidImage("\(source.description): unreadable \(what)")
        }
    }

    /// The child to write instead of the whole index: the `--platform` one, or for a
    /// destination that holds one platform (a docker archive) linux/amd64, else the index's
    /// only platform. nil means "write the whole index".
    func singleChild(of index: ImageIndex) throws -> Descriptor? {
        guard platform != nil || destination.requiresSinglePlatform else { return nil }
        return try PlatformMatcher.entry(of: index, preferring: platform, what: source.description,
                                         onlyOne: "\(destination.description) holds one platform")
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
