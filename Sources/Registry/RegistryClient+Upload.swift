import Foundation
import OCI
import Streams

extension RegistryClient {
    /// Uploads a blob: POST opens a session, then one streamed PUT carries the whole body
    /// (what registries ingest fastest). `hashing: false` when the source verifies the digest
    /// itself before its last byte.
    ///
    /// A rewindable source (a file, bytes in memory) survives what a retry can fix, within the
    /// retry budget: libcurl resends it when a reused connection dies after the body went out;
    /// a connection lost mid-way goes on in chunks from what the session holds (or in a new
    /// session); a transient status (429, 5xx, honouring Retry-After) starts a new session.
    /// A source that cannot rewind (a pipe from another registry) fails with a transient
    /// error, and its caller restarts the whole transfer (`BlobTransfer` does).
    public func uploadBlob(_ digest: Digest, size: Int64, to repository: Repository, from source: ByteSource,
                           hashing: Bool = true) async throws {
        guard let rewindable = source as? RewindableSource else {
            let location = try await startUpload(repository, for: digest)
            do {
                try await putWhole(digest, size: size, to: repository, location: location,
                                   body: VerifyingSource(source, expected: digest, size: size, hashing: hashing))
            } catch {
                await cancelUpload(location, repository: repository)
                throw error
            }
            return
        }
        var started = false
        try await retrying("upload of blob \(digest.short) to \(repository)") {
            if started { try rewindable.rewind() }
            started = true
            try await uploadRewindable(digest, size: size, to: repository, from: rewindable, hashing: hashing)
        }
    }

    /// One session: the whole body in one PUT, or, when the connection drops, the rest in chunks
    /// from what the session holds. The session is cancelled when this fails.
    private func uploadRewindable(_ digest: Digest, size: Int64, to repository: Repository, from source: RewindableSource,
                                  hashing: Bool) async throws {
        let location = try await startUpload(repository, for: digest)
        do {
            try await putWhole(digest, size: size, to: repository, location: location,
                               body: RewindableVerifyingSource(source, expected: digest, size: size, hashing: hashing))
        } catch let error as RegistryError {
            guard case .unreachable = error, !Interruption.isRequested else {
                await cancelUpload(location, repository: repository)
                throw error
            }
            options.log?("upload of \(digest.short) interrupted; resuming in chunks")
            let session: UploadSession
            do { session = try await resumableSession(location, repository: repository) } catch {
                await cancelUpload(location, repository: repository)
                throw error
            }
            try await resumeChunked(digest, size: size, to: repository, location: session.location, source: source, from: session.offset)
        } catch {
            await cancelUpload(location, repository: repository)
            throw error
        }
    }

    /// A new session and one PUT of the whole body from the start of `source`: what every
    /// registry takes, and the way on when one refuses chunks.
    func uploadWhole(_ digest: Digest, size: Int64, to repository: Repository, from source: RewindableSource) async throws {
        try source.rewind()
        let location = try await startUpload(repository, for: digest)
        do {
            try await putWhole(digest, size: size, to: repository, location: location,
                               body: RewindableVerifyingSource(source, expected: digest, size: size))
        } catch {
            await cancelUpload(location, repository: repository)
            throw error
        }
    }

    /// `PUT <session>?digest=…` with the whole body; never resent blindly (the session may
    /// have taken part of it): its callers decide how to go on.
    private func putWhole(_ digest: Digest, size: Int64, to repository: Repository, location: String, body: ByteSource) async throws {
        let response = try await send(host: repository.host, method: "PUT", path: appendQuery(location, "digest=\(digest)"),
                                      headers: [("Content-Type", "application/octet-stream")],
                                      body: body, bodyLength: size, scopes: [.push(repository.name)], retryable: false)
        guard response.status == 201 || response.status == 204 else {
            // libcurl resends a rewindable body on a new connection when a reused one died;
            // if the registry had taken part of it, the session is gone: a new one fixes that.
            let summary = RegistryErrorBody.summary(response)
            if response.status == 404 || response.status == 400,
               summary.codes.contains("BLOB_UPLOAD_INVALID") || summary.codes.contains("BLOB_UPLOAD_UNKNOWN") {
                throw RegistryError.uploadSessionLost(repository: repository.description, detail: summary.text)
            }
            throw try failure(response, host: repository.host, repository: repository.name, operation: "upload of blob \(digest.short)", push: true)
        }
    }

    /// A new upload session, or for `digest` the one a refused mount of it opened.
    func startUpload(_ repository: Repository, for digest: Digest? = nil) async throws -> String {
        try checkAllowed(repository)
        if let digest, let spare = takeSpareSession(for: digest, in: repository) { return spare }
        let response = try await send(host: repository.host, method: "POST", path: "/v2/\(repository.name)/blobs/uploads/",
                                      scopes: [.push(repository.name)])
        guard response.status == 202, let location = response.location else {
            throw try failure(response, host: repository.host, repository: repository.name, operation: "upload to \(repository)", push: true)
        }
        setMinimumChunk(repository.host, response.header("oci-chunk-min-length").flatMap { Int64($0) })
        return location
    }
}

/// Appends a query parameter to an upload URL, keeping the state the registry put in its query.
func appendQuery(_ url: String, _ parameter: String) -> String {
    url + (url.contains("?") ? "&" : "?") + parameter
}
