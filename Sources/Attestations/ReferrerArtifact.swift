import OCI

/// An OCI 1.1 artifact that refers to an image: an image manifest with `artifactType`, the
/// empty config descriptor, one layer holding the document, and `subject` = the image's
/// descriptor. A registry with the Referrers API lists it for the subject by itself; others
/// need the referrers tag schema (`ReferrersIndex`).
public struct ReferrerArtifact: Sendable, Equatable {
    public static let emptyConfigType = "application/vnd.oci.empty.v1+json"
    /// `{}`, the empty config every artifact shares.
    public static let emptyConfig: [UInt8] = Array("{}".utf8)

    public let manifest: RawManifest
    /// The document's bytes when they are kept in memory; nil when the caller keeps them
    /// elsewhere (the SBOM of a large copy lives in a file).
    public let document: [UInt8]?
    /// The document's descriptor (the manifest's one layer).
    public let documentDescriptor: Descriptor
    public let artifactType: String

    /// - Parameter created: the artifact's `org.opencontainers.image.created` (the image's).
    public init(document: [UInt8], mediaType: String, title: String, subject: Descriptor, created: String) throws {
        try self.init(document: document, digest: Digest.of(document), size: Int64(document.count),
                      mediaType: mediaType, title: title, subject: subject, created: created)
    }

    /// An artifact whose document the caller keeps (its digest and size as it computed them).
    public init(documentDigest: Digest, size: Int64, mediaType: String, title: String, subject: Descriptor, created: String) throws {
        try self.init(document: nil, digest: documentDigest, size: size, mediaType: mediaType, title: title, subject: subject, created: created)
    }

    private init(document: [UInt8]?, digest: Digest, size: Int64, mediaType: String, title: String, subject: Descriptor, created: String) throws {
        self.document = document
        artifactType = mediaType
        let config = Descriptor(mediaType: Self.emptyConfigType, digest: Digest.of(Self.emptyConfig), size: Int64(Self.emptyConfig.count))
        let layer = Descriptor(mediaType: mediaType, digest: digest, size: size,
                               annotations: ["org.opencontainers.image.title": title])
        documentDescriptor = layer
        var image = ImageManifest(mediaType: MediaType.ociManifest, config: config, layers: [layer],
                                  annotations: ["org.opencontainers.image.created": created])
        image.artifactType = mediaType
        image.subject = Descriptor(mediaType: subject.mediaType, digest: subject.digest, size: subject.size)
        manifest = try RawManifest.encoding(image, mediaType: MediaType.ociManifest)
    }

    /// How a referrers list names this artifact: its descriptor with `artifactType` and the
    /// manifest's annotations.
    public var descriptor: Descriptor {
        var descriptor = manifest.descriptor()
        descriptor.artifactType = artifactType
        descriptor.annotations = (try? manifest.decodeManifest())?.annotations
        return descriptor
    }

    /// The blobs the manifest names that are in memory, by digest (the document when kept).
    public var blobs: [Digest: [UInt8]] {
        var blobs = [Digest.of(Self.emptyConfig): Self.emptyConfig]
        if let document { blobs[documentDescriptor.digest] = document }
        return blobs
    }
}

