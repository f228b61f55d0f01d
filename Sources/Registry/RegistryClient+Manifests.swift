import OCI
import Streams

extension RegistryClient {
    /// GETs a manifest or index by tag or digest with the full Accept list, keeping its exact
    /// bytes. A manifest asked for by digest is verified against it.
    /// Pulled from registries.conf's mirrors first, when it names any (see `pullSources`).
    public func fetchManifest(_ reference: Reference) async throws -> RawManifest {
        try checkIdentifier(reference)
        let sources = try pullSources(Repository(reference), byDigest: reference.digest != nil)
        for (index, source) in sources.enumerated() {
            let located = source.isMirror || source.repository != Repository(reference)
                ? Reference(registry: source.repository.host == "registry-1.docker.io" ? "docker.io" : source.repository.host,
                            repository: source.repository.name, tag: reference.tag, digest: reference.digest)
                : reference
            do { return try await fetchManifestOnce(located) } catch let error as RegistryError where index + 1 < sources.count && fallsBack(error) {
                noteMirrorFailure(source, error)
            }
        }
        throw RegistryError.invalidConfiguration(detail: "\(reference): no source to pull from")
    }

    /// One source's manifest, GET once per run: a manifest this run already holds (by digest,
    /// or under a tag it read or wrote) costs no request; for a tag, a HEAD first (free where a
    /// GET counts as a pull) finds a digest the run already holds under another name.
    func fetchManifestOnce(_ reference: Reference) async throws -> RawManifest {
        let repository = Repository(reference)
        if let digest = reference.digest, let held = manifests.manifest(digest, in: repository) { return held }
        if reference.digest == nil, let tag = reference.tag {
            if let held = manifests.manifest(tag: tag, in: repository) { return held }
            if case .present(let digest?) = try await headManifest(reference), let held = manifests.manifest(digest, in: repository) {
                manifests.store(held, in: repository, tag: tag)
                return held
            }
        }
        return try await getManifest(reference)
    }

    /// `GET /v2/NAME/manifests/REF` with the full Accept list, its exact bytes kept (and
    /// verified when asked for by digest).
    func getManifest(_ reference: Reference) async throws -> RawManifest {
        let repository = Repository(reference)
        let sink = DocumentSink(limit: RawManifest.maximumSize)
        let response: HTTPResponse
        do {
            response = try await send(host: repository.host, method: "GET", path: "/v2/\(repository.name)/manifests/\(reference.identifier)",
                                      headers: [("Accept", MediaType.manifestAccept.joined(separator: ", "))],
                                      scopes: [.pull(repository.name)], sink: sink)
        } catch is DocumentSink.LimitExceeded {
            throw RegistryError.invalidManifest(reference: reference.description, detail: "manifest larger than \(RawManifest.maximumSize) bytes")
        }
        guard (200..<300).contains(response.status) else {
            throw try failure(response, host: repository.host, repository: repository.name, operation: "pull of \(reference)", reference: reference.description)
        }
        let raw: RawManifest
        do { raw = try RawManifest(bytes: sink.bytes, declaredType: response.header("content-type")) } catch {
            throw RegistryError.invalidManifest(reference: reference.description, detail: error.description)
        }
        if let expected = reference.digest, raw.digest != expected {
            throw RegistryError.digestMismatch(what: "manifest \(reference)", expected: expected, actual: raw.digest)
        }
        manifests.store(raw, in: repository, tag: reference.digest == nil ? reference.tag : nil)
        return raw
    }

    enum ManifestHead {
        case missing
        /// Present; its digest when the registry named one that parses.
        case present(Digest?)
        /// Any other answer (a refusal, a registry that does not HEAD): the GET will tell.
        case unknown
    }

    /// `HEAD /v2/NAME/manifests/REF`, which no registry counts as a pull.
    func headManifest(_ reference: Reference) async throws -> ManifestHead {
        let repository = Repository(reference)
        let response = try await send(host: repository.host, method: "HEAD", path: "/v2/\(repository.name)/manifests/\(reference.identifier)",
                                      headers: [("Accept", MediaType.manifestAccept.joined(separator: ", "))],
                                      scopes: [.pull(repository.name)])
        if response.status == 404 { return .missing }
        guard (200..<300).contains(response.status) else { return .unknown }
        return .present(response.header("docker-content-digest").flatMap { try? Digest($0) })
    }

    /// HEADs a manifest: its descriptor when present, nil when the registry has none.
    public func manifestDescriptor(_ reference: Reference) async throws -> Descriptor? {
        let repository = Repository(reference)
        try checkIdentifier(reference)
        try checkAllowed(repository)
        let response = try await send(host: repository.host, method: "HEAD", path: "/v2/\(repository.name)/manifests/\(reference.identifier)",
                                      headers: [("Accept", MediaType.manifestAccept.joined(separator: ", "))],
                                      scopes: [.pull(repository.name)])
        if response.status == 404 { return nil }
        guard (200..<300).contains(response.status) else {
            throw try failure(response, host: repository.host, repository: repository.name, operation: "check of \(reference)", reference: reference.description)
        }
        // Docker-Content-Digest is only trusted here for existence checks by digest.
        guard let digestText = response.header("docker-content-digest"), let digest = try? Digest(digestText),
              let type = response.header("content-type"), let length = response.header("content-length").flatMap({ Int64($0) }) else {
            return nil
        }
        return Descriptor(mediaType: type, digest: digest, size: length)
    }

    /// A tag becomes part of a URL path: whoever built the reference (a tag list, a layout's
    /// `ref.name`, an archive), a name outside the grammar never gets that far.
    func checkIdentifier(_ reference: Reference) throws {
        guard reference.digest == nil, let tag = reference.tag, !RemoteName.isValidTag(tag) else { return }
        throw RegistryError.invalidTag(repository: reference.repositoryName, tag: tag)
    }
}
