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
            let location = try await startUpload(repository)
            do {
                try await putWhole(digest, size: size, to: repository, location: location,
                                   body: VerifyingSource(source, expected: digest, size: size, hashing: hashing))
            } catch {
                await cancelUpload(location, repository: repository)
                throw error
            }
            return
        }
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await uploadRewindable(digest, size: size, to: repository, from: rewindable, hashing: hashing)
            } catch let error as RegistryError where error.isTransient && attempt < options.retry.maxAttempts && !Interruption.isRequested {
                let delay = options.retry.delay(afterAttempt: attempt, retryAfterSeconds: error.retryAfter)
                options.onRetry?("retrying upload of blob \(digest.short) to \(repository) in \(formatDelay(delay)): \(error)")
                try await backoff(delay)
                try rewindable.rewind()
            }
        }
    }

    /// One session: the whole body in one PUT, or, when the connection drops, the rest in chunks
    /// from what the session holds. The session is cancelled when this fails.
    private func uploadRewindable(_ digest: Digest, size: Int64, to repository: Repository, from source: RewindableSource,
                                  hashing: Bool) async throws {
        let location = try await startUpload(repository)
        do {
            try await putWhole(digest, size: size, to: repository, location: location,
                               body: RewindableVerifyingSource(source, expected: digest, size: size, hashing: hashing))
        } catch let error as RegistryError {
            guard case .unreachable = error, !Interruption.isRequested else {
                await cancelUpload(location, repository: repository)
                throw error
            }
            options.log?("upload of \(digest.short) interrupted; resuming in chunks")
            let session: (location: String, offset: Int64)
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

    /// `PUT <session>?digest=…` with the whole body; never resent blindly (the session may
    /// have taken part of it): its callers decide how to go on.
    private func putWhole(_ digest: Digest, size: Int64, to repository: Repository, location: String, body: ByteSource) async throws {
        let response = try await send(host: repository.host, method: "PUT", path: appendQuery(location, "digest=\(digest)"),
                                      headers: [("Content-Type", "application/octet-stream")],
                                      body: body, bodyLength: size, scopes: [.push(repository.name)], retryable: false)
        guard response.status == 201 || response.status == 204 else {
            // libcurl resends a rewindable body on a new connection when a reused one died;
            // if the registry had taken part of it, the session is gone: a new one fixes that.
            let summary = RegistryErrorBody.summary(response.errorBody)
            if response.status == 404 || response.status == 400,
               summary.codes.contains("BLOB_UPLOAD_INVALID") || summary.codes.contains("BLOB_UPLOAD_UNKNOWN") {
                throw RegistryError.uploadSessionLost(repository: repository.description, detail: summary.text)
            }
            throw try failure(response, host: repository.host, repository: repository.name, operation: "upload of blob \(digest.short)")
        }
    }

    /// Uploads a rewindable source in PATCH chunks (`Content-Range: start-end`), honouring the
    /// registry's minimum chunk size; each step uses the newest Location.
    public func uploadBlobChunked(_ digest: Digest, size: Int64, to repository: Repository, from source: RewindableSource,
                                  chunkSize: Int64 = 16 << 20) async throws {
        let location = try await startUpload(repository)
        try await resumeChunked(digest, size: size, to: repository, location: location, source: source, from: 0, chunkSize: chunkSize)
    }

    /// Chunked upload that cancels its session when it fails, as the monolithic upload does.
    private func resumeChunked(_ digest: Digest, size: Int64, to repository: Repository, location: String,
                               source: RewindableSource, from start: Int64, chunkSize: Int64 = 16 << 20) async throws {
        var current = location  // each PATCH answers with the session's next Location
        do {
            try await sendChunks(digest, size: size, to: repository, location: &current, source: source, from: start, chunkSize: chunkSize)
        } catch {
            await cancelUpload(current, repository: repository)
            throw error
        }
    }

    func startUpload(_ repository: Repository) async throws -> String {
        try checkAllowed(repository)
        let response = try await send(host: repository.host, method: "POST", path: "/v2/\(repository.name)/blobs/uploads/",
                                      scopes: [.push(repository.name)])
        guard response.status == 202, let location = response.location else {
            throw try failure(response, host: repository.host, repository: repository.name, operation: "upload to \(repository)")
        }
        setMinimumChunk(repository.host, response.header("oci-chunk-min-length").flatMap { Int64($0) })
        return location
    }

    private func sendChunks(_ digest: Digest, size: Int64, to repository: Repository, location: inout String,
                            source: RewindableSource, from start: Int64, chunkSize: Int64) async throws {
        var offset = start
        let chunk = max(chunkSize, (minimumChunk[repository.host] ?? nil) ?? 0)
        var failures = 0
        // Chunks go out as they are read; the final PUT names the digest, and the registry
        // refuses to commit bytes that do not match it (DIGEST_INVALID), so nothing is read twice.
        while offset < size {
            let length = min(chunk, size - offset)
            let body = try FileSourceSlicer.slice(source, offset: offset, length: length)
            do {
                let response = try await send(host: repository.host, method: "PATCH", path: location,
                                              headers: [("Content-Type", "application/octet-stream"), ("Content-Range", "\(offset)-\(offset + length - 1)")],
                                              body: body, bodyLength: length, scopes: [.push(repository.name)])
                guard response.status == 202 || response.status == 201 || response.status == 204 else {
                    throw try failure(response, host: repository.host, repository: repository.name, operation: "chunk upload of blob \(digest.short)")
                }
                if let next = response.location { location = next }
                offset += length
            } catch let error as RegistryError {
                // PATCHes are not retried blindly (the registry may hold part of the chunk):
                // after a drop or a transient status, ask the session where it stands.
                failures += 1
                guard error.isTransient, failures < options.retry.maxAttempts, !Interruption.isRequested else { throw error }
                let delay = options.retry.delay(afterAttempt: failures, retryAfterSeconds: error.retryAfter)
                options.onRetry?("retrying chunk upload of blob \(digest.short) at byte \(offset) in \(formatDelay(delay)): \(error)")
                try await backoff(delay)
                (location, offset) = try await resumableSession(location, repository: repository)
            }
        }
        let response = try await send(host: repository.host, method: "PUT", path: appendQuery(location, "digest=\(digest)"),
                                      scopes: [.push(repository.name)])
        guard response.status == 201 || response.status == 204 else {
            throw try failure(response, host: repository.host, repository: repository.name, operation: "upload of blob \(digest.short)")
        }
    }

    /// Where an interrupted upload can go on: the session's own answer (GET: `Range: 0-N` means
    /// the registry holds N+1 bytes; distribution also answers `0-0` for an empty session) with
    /// the Location it gives back, or else a new session from byte 0. Distribution signs the
    /// offset into the session URL, so a session that took bytes after its last Location
    /// refuses that URL (BLOB_UPLOAD_INVALID) and cancels itself: starting over is then the
    /// only way on.
    func resumableSession(_ location: String, repository: Repository) async throws -> (location: String, offset: Int64) {
        let response = try await send(host: repository.host, method: "GET", path: location, scopes: [.push(repository.name)])
        if response.status == 204 || response.status == 202, let range = response.header("range"),
           let offset = uploadedByteCount(range: range) {
            return (response.location ?? location, offset)
        }
        options.log?("upload session gone (HTTP \(response.status)); starting a new one")
        await cancelUpload(location, repository: repository)
        return (try await startUpload(repository), 0)
    }
}

/// The bytes an upload session holds, from its `Range: [bytes=]0-N`; nil when malformed.
/// An end of Int64.max is refused: N+1 would overflow.
func uploadedByteCount(range: String) -> Int64? {
    let bounds = range.replacingOccurrences(of: "bytes=", with: "").split(separator: "-")
    guard bounds.count == 2, let end = Int64(bounds[1]), end < .max else { return nil }
    return end == 0 ? 0 : end + 1
}

/// Appends a query parameter to an upload URL, keeping the state the registry put in its query.
func appendQuery(_ url: String, _ parameter: String) -> String {
    url + (url.contains("?") ? "&" : "?") + parameter
}
