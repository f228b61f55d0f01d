import Foundation
import Layers
import OCI
import Streams

/// Another image with its layers recompressed (`copy --compression`, as skopeo's
/// `--dest-compress-format`): an image source like any other, so the one writer writes it to
/// any destination. Each layer not already in the wanted algorithm is recompressed once into
/// the cache (its uncompressed tar, and so its diff_id, unchanged: the config keeps its bytes);
/// the manifests are rewritten around the new blobs, and a Docker schema2 image becomes OCI
/// for zstd, which schema2 cannot name. An image with nothing to recompress keeps its bytes
/// and digests. Everything is worked out on the first `rootManifest()`, before any blob moves.
public final class RecompressedImage: ImageSource, @unchecked Sendable {
    public let base: ImageSource
    public let compression: Compression
    let recompression: LayerRecompression
    /// Picks the one child of an index the writer will write (`--platform`, a one-platform
    /// destination), so the others are not recompressed for nothing; nil: every child.
    let choose: @Sendable (ImageIndex) throws -> Descriptor?
    let onOCI: (@Sendable () -> Void)?
    private let planned = Memo<Plan>()

    /// - Parameter onLayer: a line's worth for each layer recompressed (or found in the cache).
    /// - Parameter onOCI: called once when a Docker schema2 manifest has to become OCI.
    public init(base: ImageSource, compression: Compression, cache: BlobCache,
                choosing choose: @escaping @Sendable (ImageIndex) throws -> Descriptor? = { _ in nil },
                onLayer: (@Sendable (String) -> Void)? = nil, onOCI: (@Sendable () -> Void)? = nil) {
        self.base = base
        self.compression = compression
        self.choose = choose
        self.onOCI = onOCI
        recompression = LayerRecompression(compression: compression, cache: cache, onLayer: onLayer)
    }

    /// The same, recompressing only what `writer` will write of an index (its platform, or the
    /// one a one-platform destination takes); `onOCI` when a Docker schema2 image becomes OCI.
    public convenience init(base: ImageSource, compression: Compression, cache: BlobCache, writer: ImageWriter,
                            onLayer: (@Sendable (String) -> Void)? = nil, onOCI: (@Sendable () -> Void)? = nil) {
        self.init(base: base, compression: compression, cache: cache, choosing: { try writer.singleChild(of: $0) }, onLayer: onLayer, onOCI: onOCI)
    }

    public var description: String { base.description }

    /// Whether any manifest had to be rewritten (its referrers then name other digests).
    public func rewroteManifests() async throws -> Bool {
        let plan = try await plan()
        return !plan.layers.isEmpty || plan.becameOCI
    }

    /// Referrers of manifests kept as they were (nothing was recompressed) are the base's.
    public func referrers(of digest: Digest) async throws -> [Descriptor] {
        try await rewroteManifests() ? [] : base.referrers(of: digest)
    }

    public func cosignTags(of digest: Digest) async throws -> [TaggedArtifact] {
        try await rewroteManifests() ? [] : base.cosignTags(of: digest)
    }

    /// What the image became: its root, the rewritten children, the recompressed layers.
    struct Plan: Sendable {
        var root: RawManifest
        var children: [Digest: RawManifest] = [:]
        var layers: [Digest: Recompressor.Result] = [:]
        /// The same, by the digest each layer had: a layer two manifests (or one manifest
        /// twice) list is recompressed once.
        var recompressed: [Digest: Recompressor.Result] = [:]
        /// A Docker schema2 manifest became OCI.
        var becameOCI = false
    }

    func plan() async throws -> Plan {
        try await planned.value("") { [self] in
            let root = try await base.rootManifest()
            guard root.isIndex else {
                var plan = Plan(root: root)
                plan.root = try await rewrite(root, into: &plan)
                if plan.becameOCI { onOCI?() }
                return plan
            }
            var plan = Plan(root: root)
            let index: ImageIndex
            do { index = try root.decodeIndex() } catch { throw AssemblyError.invalidImage("\(base.description): unreadable index") }
            let chosen = try choose(index).map { [$0] } ?? index.manifests
            var rewritten: [Digest: RawManifest] = [:]
            for entry in chosen {
                let child = try await base.manifest(entry.digest)
                if child.isIndex { throw AssemblyError.unsupported("\(base.description): nested indexes are not supported") }
                let new = try await rewrite(child, into: &plan)
                rewritten[entry.digest] = new
                plan.children[new.digest] = new
            }
            plan.root = try Self.rewrite(index: root, keeping: chosen, children: rewritten, oci: plan.becameOCI)
            if plan.becameOCI { onOCI?() }
            return plan
        }
    }


    /// One image manifest with its layers recompressed (the same bytes when none needed it).
    private func rewrite(_ raw: RawManifest, into plan: inout Plan) async throws -> RawManifest {
        let original: ImageManifest
        do { original = try raw.decodeManifest() } catch {
            throw AssemblyError.invalidImage("\(base.description): unreadable manifest \(raw.digest.short)")
        }
        let docker = original.isDockerFlavour && compression.fitsDockerSchema2
        var manifest = original
        if original.isDockerFlavour && !docker {
            do { manifest = try ManifestFormat.oci.convert(manifest: raw).decodeManifest() } catch let error as ManifestFormat.ConversionError {
                throw AssemblyError.unsupported("\(base.description): \(error.message)")
            }
        }
        let wanted = manifest.layers.indices.filter { recompression.needed(manifest.layers[$0]) }
        guard !wanted.isEmpty || manifest != original else { return raw }
        let configBytes = try await base.smallBlob(original.config)
        let diffIDs = (try? ImageConfig.decode(configBytes))?.rootfs?.diff_ids ?? []
        guard diffIDs.count == manifest.layers.count else {
            throw AssemblyError.invalidImage("\(base.description): the config lists \(diffIDs.count) diff_ids for \(manifest.layers.count) layers")
        }
        var seen = Set(plan.recompressed.keys)
        let fresh = wanted.filter { seen.insert(manifest.layers[$0].digest).inserted }
        let results = try await recompression.run(fresh.map { (manifest.layers[$0], diffIDs[$0]) }, from: base)
        for (index, result) in zip(fresh, results) { plan.recompressed[manifest.layers[index].digest] = result }
        for index in wanted {
            let old = manifest.layers[index]
            guard let result = plan.recompressed[old.digest] else { continue }
            manifest.layers[index] = Descriptor(mediaType: compression.layerMediaType(docker: docker), digest: result.digest,
                                                size: result.size, annotations: old.annotations)
            plan.layers[result.digest] = result
        }
        if original.isDockerFlavour && !docker { plan.becameOCI = true }
        let type = manifest.mediaType ?? (docker ? MediaType.dockerManifest : MediaType.ociManifest)
        return try RawManifest.encoding(manifest, mediaType: type)
    }

    /// The index over the rewritten children (platforms and annotations kept); OCI when a child
    /// became OCI, the same bytes when no child changed.
    static func rewrite(index raw: RawManifest, keeping chosen: [Descriptor], children: [Digest: RawManifest], oci: Bool) throws -> RawManifest {
        var index = try raw.decodeIndex()
        let unchanged = chosen.count == index.manifests.count && children.allSatisfy { $0.key == $0.value.digest }
        if unchanged && !oci { return raw }
        index.manifests = chosen.map { entry in
            var descriptor = entry
            if let child = children[entry.digest] {
                descriptor.mediaType = child.mediaType
                descriptor.digest = child.digest
                descriptor.size = Int64(child.bytes.count)
            }
            return descriptor
        }
        let type = oci ? MediaType.ociIndex : (index.mediaType ?? MediaType.ociIndex)
        index.mediaType = type
        return try RawManifest.encoding(index, mediaType: type)
    }

    public func rootManifest() async throws -> RawManifest { try await plan().root }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        if let child = try await plan().children[digest] { return child }
        return try await base.manifest(digest)
    }

    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        guard let layer = try await plan().layers[descriptor.digest] else { return try await base.fetchBlob(descriptor, into: sink) }
        try await BlockingWork.run {
            try LocalBlob.stream(path: layer.path, expected: descriptor, into: sink, what: "recompressed layer \(descriptor.digest.short) (\(layer.path))")
        }
    }

    /// A recompressed layer exists nowhere a registry could mount it from; the rest does.
    public func mountOrigin(of descriptor: Descriptor) -> MountOrigin? {
        planned.finished("")?.layers[descriptor.digest] == nil ? base.mountOrigin(of: descriptor) : nil
    }

    public func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? {
        if let layer = planned.finished("")?.layers[descriptor.digest] { return try FileSource(path: layer.path) }
        return try base.localBlob(descriptor)
    }
}
