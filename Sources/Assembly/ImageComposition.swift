import Layers
import OCI

/// A layer blob written locally (in a `BlobCache`), to be appended to an image. It brings its
/// own compression (ggcr's `mutate.Addendum` brings its media type): the composer fits its
/// media type to the manifest, and refuses nothing a manifest can hold.
public struct NewLayer: Sendable, Hashable {
    /// sha256 of the compressed blob (the manifest's layer digest).
    public let digest: Digest
    /// sha256 of the uncompressed tar (the config's diff_id).
    public let diffID: Digest
    public let size: Int64
    /// The blob on disk, uploaded from there (a file source can be rewound for a retry).
    public let path: String
    /// Its history entry; `created` defaults to the config's `created`.
    public let history: ImageConfig.History
    /// Its regular files with their hashes (what the SBOM lists).
    public let files: [WrittenFile]
    public let compression: Compression

    public init(digest: Digest, diffID: Digest, size: Int64, path: String, history: ImageConfig.History, files: [WrittenFile] = [],
                compression: Compression = .gzip) {
        self.digest = digest
        self.diffID = diffID
        self.size = size
        self.path = path
        self.history = history
        self.files = files
        self.compression = compression
    }

    /// Its media type in a manifest of that flavour.
    public func mediaType(docker: Bool) -> String { compression.layerMediaType(docker: docker) }
}

/// What changes in the base config besides the appended layers (Dockerfile ENV, ENTRYPOINT,
/// CMD, WORKDIR, USER, LABEL).
public struct ConfigChanges: Sendable {
    /// `KEY=VALUE` pairs in order; a key already present is replaced in place (Docker's ENV rule).
    public var env: [(key: String, value: String)]
    /// Replaces the entrypoint and, as Docker's ENTRYPOINT does, clears an inherited Cmd.
    public var entrypoint: [String]?
    /// Replaces the Cmd (after the entrypoint rule, so both can be set).
    public var cmd: [String]?
    public var workingDir: String?
    public var user: String?
    /// Added to the labels; an existing key gets the new value.
    public var labels: [(key: String, value: String)] = []
    /// RFC 3339 UTC; also the default `created` of each new history entry.
    public var created: String?

    public init(env: [(key: String, value: String)] = [], entrypoint: [String]? = nil, created: String? = nil) {
        self.env = env
        self.entrypoint = entrypoint
        self.created = created
    }
}

/// One platform's image a mutation produces: canonical config and manifest, plus the new
/// layers' cache files.
public struct ComposedImage: Sendable {
    public let manifest: RawManifest
    public let image: ImageManifest
    public let configBytes: [UInt8]
    public let newLayers: [NewLayer]
    /// The base was Docker schema2 and a new layer needs OCI (zstd): the manifest is OCI.
    public var becameOCI = false
}

/// `mutate.Append` as a pure function: base image + new layers + config changes → new image.
/// Base layer descriptors are kept byte for byte (same digests, sizes, order); everything new
/// takes the base's flavour (Docker schema2 or OCI), so the manifest is never a mix. A new
/// layer Docker schema2 cannot name (zstd) makes the whole image OCI: base layers keep their
/// bytes and digests, their media types become OCI's.
public enum ImageComposer {
    public static func compose(base: ResolvedImage, adding layers: [NewLayer], changes: ConfigChanges) throws -> ComposedImage {
        let diffIDs = base.config.rootfs?.diff_ids ?? []
        guard diffIDs.count == base.image.layers.count else {
            throw AssemblyError.invalidImage("\(base.source.description): config lists \(diffIDs.count) diff_ids for \(base.image.layers.count) layers")
        }
        let docker = base.isDockerFlavour && layers.allSatisfy(\.compression.fitsDockerSchema2)
        let configBytes = try editConfig(base.configBytes, adding: layers, changes: changes)
        let config = Descriptor(mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig,
                                digest: Digest.of(configBytes), size: Int64(configBytes.count))
        let appended = layers.map { Descriptor(mediaType: $0.mediaType(docker: docker), digest: $0.digest, size: $0.size) }
        let manifestType = docker ? MediaType.dockerManifest : MediaType.ociManifest
        let image = ImageManifest(mediaType: manifestType, config: config, layers: try baseLayers(of: base, docker: docker) + appended)
        let manifest = try RawManifest.encoding(image, mediaType: manifestType)
        var composed = ComposedImage(manifest: manifest, image: image, configBytes: configBytes, newLayers: layers)
        composed.becameOCI = base.isDockerFlavour && !docker
        return composed
    }

    /// The base's layer descriptors, in OCI's media types when a Docker base becomes OCI.
    static func baseLayers(of base: ResolvedImage, docker: Bool) throws -> [Descriptor] {
        guard base.isDockerFlavour, !docker else { return base.image.layers }
        do { return try ManifestFormat.oci.convert(manifest: base.manifest).decodeManifest().layers } catch let error as ManifestFormat.ConversionError {
            throw AssemblyError.unsupported("\(base.source.description): \(error.message)")
        }
    }

    /// A new index over composed children: the base index's media type and annotations, each
    /// chosen child replaced by its composed manifest (platform and annotations of its entry
    /// kept), children not chosen left out. Canonical JSON, so the same inputs, the same digest.
    public static func composeIndex(base: ImageIndex, children: [(entry: Descriptor, image: ComposedImage)]) throws -> RawManifest {
        // A Docker list of OCI children (zstd layers) would be a mix: it becomes an OCI index.
        let becameOCI = children.contains { $0.image.becameOCI }
        let type = becameOCI ? MediaType.ociIndex : base.mediaType ?? MediaType.ociIndex
        let manifests = children.map { child in
            Descriptor(mediaType: child.image.manifest.mediaType, digest: child.image.manifest.digest,
                       size: Int64(child.image.manifest.bytes.count), platform: child.entry.platform,
                       annotations: child.entry.annotations)
        }
        return try RawManifest.encoding(ImageIndex(mediaType: type, manifests: manifests, annotations: base.annotations), mediaType: type)
    }

    /// Edits the exact base config bytes (unknown fields survive) and encodes them canonically.
    public static func editConfig(_ bytes: [UInt8], adding layers: [NewLayer], changes: ConfigChanges) throws -> [UInt8] {
        var editor = try ConfigEditor(bytes: bytes)
        for (key, value) in changes.env { editor.setEnv(key, value) }
        if let entrypoint = changes.entrypoint { editor.setEntrypoint(entrypoint) }
        if let cmd = changes.cmd { editor.setContainerField("Cmd", .array(cmd.map(JSONValue.string))) }
        if let workingDir = changes.workingDir { editor.setContainerField("WorkingDir", .string(workingDir)) }
        if let user = changes.user { editor.setContainerField("User", .string(user)) }
        for (key, value) in changes.labels { editor.setLabel(key, value) }
        for layer in layers {
            var history = layer.history
            if history.created == nil { history.created = changes.created }
            editor.appendLayer(diffID: layer.diffID, history: history)
        }
        if let created = changes.created { editor.setCreated(created) }
        return try editor.encoded()
    }
}
