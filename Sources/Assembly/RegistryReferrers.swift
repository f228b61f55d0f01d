import OCI
import Registry

extension RegistrySource {
    /// The referrers the registry lists for `digest` (its Referrers API, validated, else the
    /// referrers tag schema: `RegistryClient.referrers(of:in:)`), asked where pulls go (a
    /// mirror first, when registries.conf names one).
    public func referrers(of digest: Digest) async throws -> [Descriptor] {
        try await client.fromPullSources(repository) { source in try await client.referrers(of: digest, in: source) }
    }

    public func cosignTags(of digest: Digest) async throws -> [TaggedArtifact] {
        try await client.fromPullSources(repository) { source in
            var tags: [TaggedArtifact] = []
            for suffix in OCILayout.cosignSuffixes {
                let tag = "\(ReferrersIndex.tag(for: digest)).\(suffix)"
                if try await client.manifestExists(Self.reference(source).withTag(tag)) {
                    tags.append(TaggedArtifact(tag: tag, source: RegistrySource(client: client, reference: reference.withTag(tag))))
                }
            }
            return tags
        }
    }

    static func reference(_ repository: Registry.Repository) -> Reference {
        Reference(registry: repository.host == "registry-1.docker.io" ? Reference.dockerHub : repository.host, repository: repository.name)
    }
}

extension RegistryDestination {
    public var referrersSupport: ReferrersSupport { .registry }

    /// Attached the registry's way: `RegistryClient.attachReferrers(_:to:in:)`.
    public func attach(referrers: [Descriptor], to subject: Descriptor) async throws {
        try await client.attachReferrers(referrers, to: subject, in: target)
    }

    public func attach(_ artifact: RawManifest, tag: String) async throws {
        try await client.putManifest(artifact, to: repository.withTag(tag))
    }

    public func taggedManifest(_ tag: String) async throws -> RawManifest? {
        try await client.fetchManifestIfPresent(repository.withTag(tag))
    }

    public var existing: ImageSource? { RegistrySource(client: client, reference: repository) }
}
