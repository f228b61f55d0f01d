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

    func fetchManifestOnce(_ reference: Reference) async throws -> RawManifest {
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
        return raw
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

    /// PUTs a manifest under a tag (or its digest), with Content-Type set to its media type.
    /// Callers push every blob and child manifest first.
    public func putManifest(_ manifest: RawManifest, to reference: Reference) async throws {
        let repository = Repository(reference)
        try checkIdentifier(reference)
        try checkAllowed(repository)
        let response = try await send(host: repository.host, method: "PUT", path: "/v2/\(repository.name)/manifests/\(reference.identifier)",
                                      headers: [("Content-Type", manifest.mediaType)],
                                      body: MemorySource(manifest.bytes), bodyLength: Int64(manifest.bytes.count),
                                      scopes: [.push(repository.name)])
        guard (200..<300).contains(response.status) else {
            throw try failure(response, host: repository.host, repository: repository.name, operation: "push of \(reference)")
        }
        if let echoed = response.header("docker-content-digest"), let digest = try? Digest(echoed), digest != manifest.digest {
            throw RegistryError.digestMismatch(what: "manifest pushed to \(reference)", expected: manifest.digest, actual: digest)
        }
    }

    /// A tag becomes part of a URL path: whoever built the reference (a tag list, a layout's
    /// `ref.name`, an archive), a name outside the grammar never gets that far.
    func checkIdentifier(_ reference: Reference) throws {
        guard reference.digest == nil, let tag = reference.tag, !RemoteName.isValidTag(tag) else { return }
        throw RegistryError.invalidTag(repository: reference.repositoryName, tag: tag)
    }
}
