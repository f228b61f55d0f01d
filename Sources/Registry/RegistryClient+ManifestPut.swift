import Foundation
import OCI
import Streams

extension RegistryClient {
    /// PUTs a manifest under a tag (or its digest), with Content-Type set to its media type.
    /// Callers push every blob and child manifest first, and a referrer's subject before it.
    public func putManifest(_ manifest: RawManifest, to reference: Reference) async throws {
        let response = try await sendManifest(manifest, to: reference, path: "/v2/\(reference.repository)/manifests/\(reference.identifier)")
        guard (200..<300).contains(response.status) else { throw try manifestRefusal(response, manifest, reference: reference) }
    }

    /// PUTs a manifest under every tag of `tags` (by digest when there are none). The only use of
    /// `?tag=` (distribution-spec PR #600), for two tags or more: one
    /// `PUT /manifests/DIGEST?tag=a&tag=b`, then a PUT by tag for each tag the registry did not
    /// echo in `OCI-Tag` (it may apply only some). A registry that echoes none ignores the
    /// parameter: for the rest of the run its tags go one PUT each, as before PR #600.
    public func putManifest(_ manifest: RawManifest, tags: [String], in repository: Repository) async throws {
        let base = Reference(registry: displayHost(repository.host), repository: repository.name)
        for tag in tags { try checkIdentifier(base.withTag(tag)) }
        let byDigest = base.withDigest(manifest.digest)
        guard !tags.isEmpty else { return try await putManifest(manifest, to: byDigest) }
        if tags.count == 1 || withLock({ ignoresTagQuery.contains(repository.host) }) {
            for tag in tags { try await putManifest(manifest, to: base.withTag(tag)) }
            return
        }
        let query = tags.map { "tag=\($0)" }.joined(separator: "&")
        let response = try await sendManifest(manifest, to: byDigest, path: "/v2/\(repository.name)/manifests/\(manifest.digest)?\(query)")
        guard (200..<300).contains(response.status) else { throw try manifestRefusal(response, manifest, reference: byDigest) }
        let echoed = Set(response.headerValues("oci-tag").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) })
        if echoed.isEmpty { withLock { _ = ignoresTagQuery.insert(repository.host) } }
        for tag in tags {
            if echoed.contains(tag) { manifests.store(manifest, in: repository, tag: tag) } else { try await putManifest(manifest, to: base.withTag(tag)) }
        }
    }

    /// One manifest PUT; the digest the registry echoes must be the manifest's.
    private func sendManifest(_ manifest: RawManifest, to reference: Reference, path: String) async throws -> HTTPResponse {
        let repository = Repository(reference)
        try checkIdentifier(reference)
        try checkAllowed(repository)
        let response = try await send(host: repository.host, method: "PUT", path: path, headers: [("Content-Type", manifest.mediaType)],
                                      body: MemorySource(manifest.bytes), bodyLength: Int64(manifest.bytes.count),
                                      scopes: [.push(repository.name)])
        guard (200..<300).contains(response.status) else { return response }
        if let echoed = response.header("docker-content-digest"), let digest = try? Digest(echoed), digest != manifest.digest {
            throw RegistryError.digestMismatch(what: "manifest pushed to \(reference)", expected: manifest.digest, actual: digest)
        }
        manifests.store(manifest, in: repository, tag: reference.digest == nil ? reference.tag : nil)
        return response
    }

    /// Why a registry refused a manifest, in one line with the likely cause: a registry that takes
    /// OCI only (zot), a tag that may not change kind (zot), a referrer before its subject
    /// (GitLab) or of an index (ECR), else what `failure` says.
    func manifestRefusal(_ response: HTTPResponse, _ manifest: RawManifest, reference: Reference) throws -> RegistryError {
        let repository = Repository(reference)
        let summary = RegistryErrorBody.summary(response)
        let what = "\(displayHost(repository.host))/\(repository.name): manifest \(manifest.digest.short)"
            + (reference.tag.map { " as \($0)" } ?? "")
        let subject = (try? manifest.decodeManifest())?.subject
        let lowered = summary.text.lowercased()
        switch response.status {
        case 400 where summary.codes.contains("MANIFEST_INVALID") && MediaType.isDocker(manifest.mediaType):
            return .refused(what: what, status: 400, detail: summary.text, hint: "the registry takes OCI manifests only and refused"
                            + " a Docker schema2 one: write OCI with --format oci", kind: .unsupported)
        case 400 where lowered.contains("change") && (lowered.contains("media-type") || lowered.contains("media type")):
            return .refused(what: what, status: 400, detail: summary.text, hint: "the registry will not change the kind of manifest"
                            + " a tag names (an index to an image or back): push under another tag, or delete the tag first", kind: .unsupported)
        case 400 where summary.codes.contains("MANIFEST_BLOB_UNKNOWN") && subject != nil:
            let named = subject.map { " \($0.digest.short)" } ?? ""
            return .refused(what: what, status: 400, detail: summary.text, hint: "the registry wants a referrer's subject\(named)"
                            + " pushed before it, and does not hold it", kind: .notFound)
        case 405 where subject.map { MediaType.isIndex($0.mediaType) } ?? false:
            return .refused(what: what, status: 405, detail: summary.text, hint: "the registry refuses referrers of an index"
                            + " (ECR does): copy with --no-referrers, or attach them to the platforms' manifests", kind: .unsupported)
        default:
            return try failure(response, host: repository.host, repository: repository.name, operation: "push of \(reference)", push: true)
        }
    }
}
