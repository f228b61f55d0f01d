import OCI
import Registry

extension RegistrySource {
    /// The Referrers API's list when the registry has the API, else the referrers tag schema's
    /// index (`sha256-HEX`), else none.
    /// Asked where pulls go (a mirror first, when registries.conf names one).
    public func referrers(of digest: Digest) async throws -> [Descriptor] {
        try await client.fromPullSources(repository) { source in
            if let listed = try await client.referrersFromAPI(of: digest, in: source) { return listed }
            let tag = Self.reference(source).withTag(ReferrersIndex.tag(for: digest))
            guard let index = try await client.fetchManifestIfPresent(tag), index.isIndex else { return [] }
            do { return try index.decodeIndex().manifests } catch {
                throw AssemblyError.invalidImage("\(tag): unreadable referrers index")
            }
        }
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

    /// A registry with the Referrers API lists an artifact for its subject by itself; for one
    /// without, the referrers tag schema: the `sha256-HEX` index, read, merged (existing entries
    /// kept) and written back.
    public func attach(referrers: [Descriptor], to subject: Descriptor) async throws {
        if try await client.referrersFromAPI(of: subject.digest, in: target) != nil { return }
        let tag = repository.withTag(ReferrersIndex.tag(for: subject.digest))
        let existing = try await client.fetchManifestIfPresent(tag)
        let merged = try ReferrersIndex.merged(existing, adding: referrers)
        if merged.digest != existing?.digest { try await client.putManifest(merged, to: tag) }
    }

    public func attach(_ artifact: RawManifest, tag: String) async throws {
        try await client.putManifest(artifact, to: repository.withTag(tag))
    }

    public func taggedManifest(_ tag: String) async throws -> RawManifest? {
        try await client.fetchManifestIfPresent(repository.withTag(tag))
    }
}
