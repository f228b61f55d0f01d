import Foundation
import OCI
import Streams

extension RegistryClient {
    /// The referrers the registry's Referrers API lists for `digest`
    /// (`GET /v2/NAME/referrers/DIGEST`), or nil when the registry has no such API (it answers
    /// 404 or anything but an image index there, as distribution 2.8 does): then the referrers
    /// tag schema is the way.
    public func referrersFromAPI(of digest: Digest, in repository: Repository) async throws -> [Descriptor]? {
        let sink = CollectingSink(limit: RawManifest.maximumSize)
        let response = try await send(host: repository.host, method: "GET", path: "/v2/\(repository.name)/referrers/\(digest)",
                                      headers: [("Accept", MediaType.ociIndex)], scopes: [.pull(repository.name)], sink: sink)
        return ReferrersResponse.descriptors(status: response.status, contentType: response.header("content-type"), body: sink.bytes)
    }

    /// `body` against where pulls of `repository` go (registries.conf's mirrors first): the
    /// first source that answers at all wins; one that cannot be reached gives way to the next.
    /// For what a source lists about an image (referrers): a mirror that answers speaks for it.
    public func fromPullSources<T>(_ repository: Repository, _ body: (Repository) async throws -> T) async throws -> T {
        let sources = try pullSources(repository, byDigest: true)
        for (index, source) in sources.enumerated() {
            do { return try await body(source.repository) } catch let error as RegistryError where index + 1 < sources.count {
                guard case .unreachable = error else { throw error }
                noteMirrorFailure(source, error)
            }
        }
        throw RegistryError.invalidConfiguration(detail: "\(repository): no source to pull from")
    }

    /// Whether a manifest exists under `reference` (a referrers tag, a cosign `.sig` tag).
    public func manifestExists(_ reference: Reference) async throws -> Bool {
        try await manifestDescriptor(reference) != nil
    }

    /// The manifest under `reference`, or nil when the registry has none (404).
    public func fetchManifestIfPresent(_ reference: Reference) async throws -> RawManifest? {
        do { return try await fetchManifestOnce(reference) } catch RegistryError.manifestUnknown {
            return nil
        }
    }
}

/// Reading a Referrers API answer: an OCI image index whose manifests are the referrers.
public enum ReferrersResponse {
    /// The listed descriptors, or nil when the answer says the API is not there.
    public static func descriptors(status: Int, contentType: String?, body: [UInt8]) -> [Descriptor]? {
        guard status == 200 else { return nil }
        let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard type.isEmpty || type == MediaType.ociIndex || type == "application/json",
              let index = try? UntrustedJSON.decode(ImageIndex.self, from: body),
              index.mediaType == nil || index.mediaType == MediaType.ociIndex else { return nil }
        return index.manifests
    }
}
