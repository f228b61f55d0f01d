/// A single-platform image manifest (Docker schema2 or OCI).
public struct ImageManifest: Codable, Hashable, Sendable {
    public var schemaVersion: Int = 2
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(mediaType: String, config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    /// Docker schema2 (true) or OCI (false) flavour, judged by the manifest's own media type
    /// or, when absent (OCI allows that), by its config's.
    public var isDockerFlavour: Bool {
        if let mediaType { return MediaType.isDocker(mediaType) }
        return MediaType.isDocker(config.mediaType)
    }
}

/// A multi-platform index (OCI image index or Docker manifest list).
public struct ImageIndex: Codable, Hashable, Sendable {
    public var schemaVersion: Int = 2
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(mediaType: String, manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }

    /// The first child whose platform satisfies `platform`.
    public func child(for platform: Platform) -> Descriptor? {
        manifests.first { $0.platform?.satisfies(platform) ?? false }
    }
}
