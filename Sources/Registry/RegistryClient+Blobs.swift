import OCI
import Streams

extension RegistryClient {
    /// HEADs a blob: its size when present, nil when missing. 401/403 are errors (a scope
    /// problem), never "missing".
    public func blobSize(_ digest: Digest, in repository: Repository) async throws -> Int64? {
        try checkAllowed(repository)
        let response = try await send(host: repository.host, method: "HEAD", path: "/v2/\(repository.name)/blobs/\(digest)",
                                      scopes: [.pull(repository.name)])
        switch response.status {
        case 200..<300: return response.header("content-length").flatMap { Int64($0) } ?? -1
        case 404: return nil
        default: throw try failure(response, host: repository.host, repository: repository.name, operation: "check of blob \(digest.short)")
        }
    }

    /// Streams a blob into `sink` while hashing it; a digest or size mismatch is an error
    /// (the sink has seen the bytes by then: sinks that commit, commit only after this returns).
    /// A dropped connection resumes with a Range request from where it stopped. Pulled from
    /// registries.conf's mirrors first: a mirror that fails gives way to the next source, which
    /// goes on from the same byte (the bytes are the digest's, wherever they come from).
    /// With `expectedSize`, a body that goes on past it (longer than the manifest says, or
    /// endless) fails at that byte: nothing beyond the size ever reaches the sink.
    /// A resume asks for a closed range (`bytes=N-(size-1)`: some registries refuse an open one,
    /// and most send no `Accept-Ranges`, which is not waited for); a registry that refuses the
    /// range gets a plain GET, whose first N bytes are skipped.
    public func fetchBlob(_ digest: Digest, from repository: Repository, expectedSize: Int64? = nil, into sink: ByteSink) async throws {
        let hashing = HashingSink(forwardingTo: sink)
        let limited: ByteSink = expectedSize.flatMap { size in
            size < 0 ? nil : SizeLimitedSink(hashing, size: size) { [repository] in
                RegistryError.invalidResponse(operation: "download of blob \(digest) from \(repository)",
                                              detail: "the body goes on past the \(size) bytes the manifest gives")
            }
        } ?? hashing
        let sources = try pullSources(repository, byDigest: true)
        var index = 0
        var resumes = 0
        var rangeRefused = false
        var contributors: [PullSource] = []
        while true {
            let source = sources[index].repository
            var headers: [(name: String, value: String)] = []
            let offset = hashing.count
            // Every byte arrived before the connection dropped: nothing left to ask for.
            if offset > 0, let expectedSize, offset == expectedSize { break }
            if offset > 0, !rangeRefused {
                let end = expectedSize.flatMap { $0 > offset ? String($0 - 1) : nil } ?? ""
                headers.append(("Range", "bytes=\(offset)-\(end)"))
            }
            let target: ByteSink = offset > 0 ? RangeAligningSink(limited, offset: offset) : limited
            do {
                defer { if hashing.count > offset { contributors.append(sources[index]) } }
                let response = try await send(host: source.host, method: "GET", path: "/v2/\(source.name)/blobs/\(digest)",
                                              headers: headers, scopes: [.pull(source.name)], sink: target)
                guard (200..<300).contains(response.status) else {
                    if offset > 0, !rangeRefused, [400, 416, 501].contains(response.status) {
                        // The registry will not serve the range: the whole blob, its first bytes skipped.
                        rangeRefused = true
                        options.log?("\(displayHost(source.host)) refused the range of blob \(digest.short) (HTTP \(response.status)); downloading it whole")
                        continue
                    }
                    if response.status == 404 { throw RegistryError.blobUnknown(repository: source.description, digest: digest) }
                    throw try failure(response, host: source.host, repository: source.name, operation: "download of blob \(digest.short)")
                }
                break
            } catch let error as RegistryError {
                // A connection dropped mid-body: resume instead of starting over.
                if case .unreachable = error, hashing.count > offset, resumes < options.retry.maxAttempts {
                    resumes += 1
                    options.log?("resuming blob \(digest.short) at byte \(hashing.count)")
                    continue
                }
                guard index + 1 < sources.count, fallsBack(error) else { throw error }
                noteMirrorFailure(sources[index], error)
                index += 1
                resumes = 0
            }
        }
        let actual = hashing.finalize()
        var failure: RegistryError?
        if let expectedSize, expectedSize >= 0, hashing.count != expectedSize {
            failure = .sizeMismatch(what: "blob \(digest) from \(repository)", expected: expectedSize, actual: hashing.count)
        } else if actual != digest {
            failure = .digestMismatch(what: "blob from \(repository)", expected: digest, actual: actual)
        }
        guard let failure else { return }
        // Bytes from a mirror were wrong: never trusted, and the mirror is not asked again, so
        // the caller's next attempt goes to the primary.
        if let mirror = contributors.first(where: \.isMirror) {
            for source in contributors where source.isMirror { noteMirrorFailure(source, failure) }
            throw RegistryError.mirrorServedBadData(mirror: mirror.repository.description, detail: failure.description)
        }
        throw failure
    }

    /// Reads a small blob (an image config) into memory, verified.
    public func fetchSmallBlob(_ digest: Digest, from repository: Repository, limit: Int = 16 << 20) async throws -> [UInt8] {
        do {
            let collector = CollectingSink(limit: limit)
            try await fetchBlob(digest, from: repository, into: collector)
            return collector.bytes
        } catch RegistryError.mirrorServedBadData {
            // In memory, so it can start again at once, without the mirror.
            let collector = CollectingSink(limit: limit)
            try await fetchBlob(digest, from: repository, into: collector)
            return collector.bytes
        }
    }

    /// Asks the registry to link a blob from another repository on the same host.
    /// Returns true when mounted (201) only. Any other success (ECR and Harbor answer 202) is
    /// not a mount but an upload session: kept, and the next upload of this blob to `target`
    /// goes on in it rather than opening another (`discardSpareSession` cancels it).
    public func mountBlob(_ digest: Digest, from source: Repository, into target: Repository) async throws -> Bool {
        guard source.host == target.host else { return false }
        try checkAllowed(source)
        try checkAllowed(target)
        // One token carrying pull on the source and push on the target, as mounts require.
        let response = try await send(host: target.host, method: "POST",
                                      path: "/v2/\(target.name)/blobs/uploads/?mount=\(digest)&from=\(source.name)",
                                      scopes: [.push(target.name), .pull(source.name)])
        switch response.status {
        case 201:
            await discardSpareSession(for: digest, in: target)
            return true
        case 200..<300:
            if let location = response.location {
                setMinimumChunk(target.host, response.header("oci-chunk-min-length").flatMap { Int64($0) })
                if let replaced = keepSpareSession(location, for: digest, in: target) { await cancelUpload(replaced, repository: target) }
            }
            return false
        default:
            throw try failure(response, host: target.host, repository: target.name, operation: "mount of blob \(digest.short)", push: true)
        }
    }

    /// Cancels the session a refused mount of `digest` into `repository` left, if the upload
    /// did not take it (the blob was mounted from elsewhere after all, or its transfer failed).
    public func discardSpareSession(for digest: Digest, in repository: Repository) async {
        if let spare = takeSpareSession(for: digest, in: repository) { await cancelUpload(spare, repository: repository) }
    }

    func cancelUpload(_ location: String, repository: Repository) async {
        // Sent even after a signal or when the transfer's task was cancelled (a sibling failed):
        // a cancelled session frees the registry's partial upload now rather than at its garbage
        // collection. A task of its own does not inherit the cancellation.
        await Task {
            _ = try? await send(host: repository.host, method: "DELETE", path: location, scopes: [.push(repository.name)],
                                interruptible: false)
        }.value
    }
}

/// After a resumed GET: passes bytes through on 206, or skips the already-delivered prefix
/// when a server ignored the Range header and sent the whole blob again (200).
final class RangeAligningSink: ResponseAwareSink, @unchecked Sendable {
    private let downstream: ByteSink
    private let offset: Int64
    private var toSkip: Int64 = 0

    init(_ downstream: ByteSink, offset: Int64) {
        self.downstream = downstream
        self.offset = offset
    }

    func responseStarted(status: Int) {
        toSkip = status == 200 ? offset : 0
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if toSkip > 0 {
            let skip = Int(min(Int64(bytes.count), toSkip))
            toSkip -= Int64(skip)
            if skip < bytes.count { try downstream.write(UnsafeRawBufferPointer(rebasing: bytes[skip...])) }
            return
        }
        try downstream.write(bytes)
    }
}
