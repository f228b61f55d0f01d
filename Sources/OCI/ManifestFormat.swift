/// The manifest flavour a copy writes (`--format`, as skopeo's): OCI, or Docker schema2 (v2s2).
/// Converting rewrites media types only: config and layer blobs keep their bytes and digests,
/// while the manifests (and an index over them) are re-encoded and get new digests.
public enum ManifestFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case oci
    case v2s2

    public var description: String { rawValue }

    public struct ConversionError: Error, CustomStringConvertible {
        public let message: String
        /// The image holds what the format cannot (a zstd layer, an artifact): the format asked
        /// for is what to change. False for a conversion that went wrong.
        public var misfit = true
        public var description: String { message }
    }

    /// Media types of one format and their counterparts in the other.
    private static let pairs: [(oci: String, docker: String)] = [
        (MediaType.ociIndex, MediaType.dockerManifestList),
        (MediaType.ociManifest, MediaType.dockerManifest),
        (MediaType.ociConfig, MediaType.dockerConfig),
        (MediaType.ociLayerGzip, MediaType.dockerLayerGzip),
        (MediaType.ociLayer, "application/vnd.docker.image.rootfs.diff.tar"),
        (MediaType.ociLayerNondistributableGzip, MediaType.dockerForeignLayerGzip),
    ]

    /// `type` in this format, or nil when it has no counterpart here.
    func translate(_ type: String) -> String? {
        for pair in Self.pairs {
            if type == pair.oci || type == pair.docker { return self == .oci ? pair.oci : pair.docker }
        }
        // OCI has types Docker schema2 lacks (zstd layers); the reverse never happens.
        return self == .oci && !MediaType.isDocker(type) ? type : nil
    }

    private func translateOrFail(_ type: String, what: String) throws -> String {
        guard let translated = translate(type) else {
            // Only zstd layers lack a Docker type; gzip has one, and recompressing gives it
            // (not to a non-distributable layer, which recompression leaves as it is).
            let hint = type == MediaType.ociLayerZstd ? "; recompress the layers to gzip (samforge copy --compression gzip) or keep --format oci" : ""
            throw ConversionError(message: "cannot convert to \(self == .oci ? "OCI" : "Docker schema2 (v2s2)"): \(what) has media type \(type), which that format lacks\(hint)")
        }
        return translated
    }

    /// An image manifest in this format; the same bytes (and digest) when it already is.
    public func convert(manifest raw: RawManifest) throws -> RawManifest {
        let original = try raw.decodeManifest()
        var manifest = original
        let mediaType = try translateOrFail(raw.mediaType, what: "manifest \(raw.digest.short)")
        manifest.mediaType = mediaType
        manifest.config.mediaType = try translateOrFail(original.config.mediaType, what: "config \(original.config.digest.short)")
        manifest.layers = try original.layers.map { layer in
            var converted = layer
            converted.mediaType = try translateOrFail(layer.mediaType, what: "layer \(layer.digest.short)")
            return converted
        }
        if self == .v2s2 {
            guard original.subject == nil, original.artifactType == nil else {
                throw ConversionError(message: "cannot convert to Docker schema2 (v2s2): manifest \(raw.digest.short) is an OCI artifact (subject/artifactType)")
            }
            manifest.annotations = nil  // schema2 has no annotations
        }
        // Already in this format (a missing mediaType field counts as matching): keep the bytes.
        manifest.mediaType = original.mediaType == nil && raw.mediaType == mediaType ? nil : mediaType
        if manifest == original { return raw }
        manifest.mediaType = mediaType
        return try RawManifest.encoding(manifest, mediaType: mediaType)
    }

    /// An index in this format whose children are `children` (the converted child manifests,
    /// by the digest the original index names). Platforms and annotations of children are kept.
    public func convert(index raw: RawManifest, children: [Digest: RawManifest]) throws -> RawManifest {
        let original = try raw.decodeIndex()
        var index = original
        let mediaType = try translateOrFail(raw.mediaType, what: "index \(raw.digest.short)")
        index.manifests = try original.manifests.map { child in
            guard let converted = children[child.digest] else {
                throw ConversionError(message: "index \(raw.digest.short): child \(child.digest.short) was not converted", misfit: false)
            }
            var descriptor = child
            descriptor.mediaType = converted.mediaType
            descriptor.digest = converted.digest
            descriptor.size = Int64(converted.bytes.count)
            return descriptor
        }
        if self == .v2s2 { index.annotations = nil }
        if index == original && raw.mediaType == mediaType { return raw }
        index.mediaType = mediaType
        return try RawManifest.encoding(index, mediaType: mediaType)
    }
}
