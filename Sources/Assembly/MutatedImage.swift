import OCI
import Streams

/// An image a mutation made (ggcr's `mutate.Append` result): manifests and configs in memory,
/// new layers from their cache files, every other blob read lazily from the base's source
/// (and mounted from the base's repository where a destination can). Any destination writes
/// it like any other source: this is how `build` and `append` reach layouts and archives.
public struct MutatedImage: ImageSource {
    public let base: ImageSource
    let root: RawManifest
    let children: [Digest: RawManifest]
    let configs: [Digest: [UInt8]]
    let layers: [Digest: NewLayer]

    /// One platform's image.
    public init(base: ImageSource, image: ComposedImage) {
        self.init(base: base, root: image.manifest, images: [image])
    }

    /// Several platforms' images under a composed index (`ImageComposer.composeIndex`).
    public init(base: ImageSource, index: RawManifest, images: [ComposedImage]) {
        self.init(base: base, root: index, images: images)
    }

    private init(base: ImageSource, root: RawManifest, images: [ComposedImage]) {
        self.base = base
        self.root = root
        children = Dictionary(images.map { ($0.manifest.digest, $0.manifest) }, uniquingKeysWith: { first, _ in first })
        configs = Dictionary(images.map { ($0.image.config.digest, $0.configBytes) }, uniquingKeysWith: { first, _ in first })
        layers = Dictionary(images.flatMap(\.newLayers).map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var description: String { "the image built on \(base.description)" }

    public func rootManifest() async throws -> RawManifest { root }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        guard let manifest = children[digest] else { throw AssemblyError.notFound("\(description): no manifest \(digest)") }
        return manifest
    }

    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        if let config = configs[descriptor.digest] {
            try MemorySource(config).pump(to: sink)
            return
        }
        guard let layer = layers[descriptor.digest] else { return try await base.fetchBlob(descriptor, into: sink) }
        try await BlockingWork.run {
            try LocalBlob.stream(path: layer.path, expected: descriptor, into: sink, what: "new layer \(descriptor.digest.short) (\(layer.path))")
        }
    }

    /// New blobs come from nowhere a registry could mount; the base's from the base's origin.
    public func mountOrigin(of descriptor: Descriptor) -> MountOrigin? {
        isNew(descriptor) ? nil : base.mountOrigin(of: descriptor)
    }

    public func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? {
        if let config = configs[descriptor.digest] { return MemorySource(config) }
        if let layer = layers[descriptor.digest] { return try FileSource(path: layer.path) }
        return try base.localBlob(descriptor)
    }

    func isNew(_ descriptor: Descriptor) -> Bool {
        configs[descriptor.digest] != nil || layers[descriptor.digest] != nil
    }
}
