import Foundation
import OCI
import Streams

extension RegistryClient {
    /// The referrers of `digest` in `repository`: the Referrers API's list when the registry has
    /// a working one, else the referrers tag schema's index (`sha256-HEX`), else none.
    ///
    /// An API answer counts only when it is a 200 image index (not a redirect to a web page, an
    /// HTML page, or an error, as GHCR, GAR and GitLab's proxy answer) whose every entry is a
    /// manifest whose `subject` really is `digest`; an empty list is confirmed with the tag
    /// schema first (GHCR has answered an empty 200 while referrers existed).
    public func referrers(of digest: Digest, in repository: Repository) async throws -> [Descriptor] {
        if let listed = try await referrersFromAPI(of: digest, in: repository), !listed.isEmpty,
           try await entriesNameTheirSubject(listed, digest, in: repository) {
            return listed
        }
        return try await referrersFromTag(of: digest, in: repository)
    }

    /// Makes `referrers` (manifests already pushed, each naming `subject`) findable from it: a
    /// registry whose Referrers API lists them does that by itself (checked, never assumed from
    /// an `OCI-Subject` header); for any other, the tag schema's index is read, merged
    /// (existing entries kept) and written back.
    public func attachReferrers(_ referrers: [Descriptor], to subject: Descriptor, in repository: Repository) async throws {
        if let listed = try await referrersFromAPI(of: subject.digest, in: repository),
           Set(referrers.map(\.digest)).isSubset(of: Set(listed.map(\.digest))) {
            return
        }
        let tag = Reference(registry: displayHost(repository.host), repository: repository.name).withTag(ReferrersIndex.tag(for: subject.digest))
        let existing = try await fetchManifestIfPresent(tag)
        let merged = try ReferrersIndex.merged(existing, adding: referrers)
        if merged.digest != existing?.digest { try await putManifest(merged, to: tag) }
    }

    /// The referrers tag schema's index for `digest`, or none.
    func referrersFromTag(of digest: Digest, in repository: Repository) async throws -> [Descriptor] {
        let tag = Reference(registry: displayHost(repository.host), repository: repository.name).withTag(ReferrersIndex.tag(for: digest))
        guard let index = try await fetchManifestIfPresent(tag), index.isIndex else { return [] }
        do { return try index.decodeIndex().manifests } catch {
            throw RegistryError.invalidManifest(reference: tag.description, detail: "unreadable referrers index")
        }
    }

    /// Whether every listed referrer's manifest names `digest` as its subject (each fetched once
    /// per run: copying a referrer reads it anyway).
    private func entriesNameTheirSubject(_ listed: [Descriptor], _ digest: Digest, in repository: Repository) async throws -> Bool {
        let base = Reference(registry: displayHost(repository.host), repository: repository.name)
        for entry in listed {
            guard MediaType.isManifest(entry.mediaType),
                  let manifest = try? await fetchManifestOnce(base.withDigest(entry.digest)),
                  (try? manifest.decodeManifest())?.subject?.digest == digest else {
                options.log?("\(repository): the Referrers API lists \(entry.digest.short), which does not name \(digest.short); using the referrers tag")
                return false
            }
        }
        return true
    }

    /// `GET /v2/NAME/referrers/DIGEST`: the listed descriptors, or nil when the answer says the
    /// registry has no such API (anything but a 200 image index; a redirect is not followed: the
    /// web pages GHCR and GAR redirect to are no API, and credentials never go there).
    public func referrersFromAPI(of digest: Digest, in repository: Repository) async throws -> [Descriptor]? {
        let sink = CollectingSink(limit: RawManifest.maximumSize)
        let response = try await send(host: repository.host, method: "GET", path: "/v2/\(repository.name)/referrers/\(digest)",
                                      headers: [("Accept", MediaType.ociIndex)], scopes: [.pull(repository.name)], sink: sink,
                                      followRedirects: false)
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

    /// The manifest under `reference`, or nil when the registry has none: a HEAD first, so an
    /// absent tag costs no GET (a pull, where pulls are counted).
    public func fetchManifestIfPresent(_ reference: Reference) async throws -> RawManifest? {
        let repository = Repository(reference)
        if reference.digest == nil, let tag = reference.tag, let held = manifests.manifest(tag: tag, in: repository) { return held }
        switch try await headManifest(reference) {
        case .missing: return nil
        case .present(let digest?):
            if let held = manifests.manifest(digest, in: repository) {
                if let tag = reference.tag, reference.digest == nil { manifests.store(held, in: repository, tag: tag) }
                return held
            }
        default: break
        }
        do { return try await getManifest(reference) } catch RegistryError.manifestUnknown {
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
