import Foundation
import OCI
import Streams

/// Chunked uploads (`PATCH` with `Content-Range: start-end`), as registries really take them:
/// ECR answers 201 to an intermediate PATCH and lets `Range` stick at the first chunk although
/// it stores every chunk, so the offset is tracked from what the registry acknowledged, and the
/// final `PUT ?digest=` is the check; chunks are at least 5 MiB (ECR refuses smaller ones
/// without saying so) or the `OCI-Chunk-Min-Length` a registry announces; ACR rejects the
/// `bytes ` prefix in `Content-Range`. A registry that refuses chunks (GAR has none), a chunk,
/// or a resume gets the whole blob in one PUT in a new session instead.
extension RegistryClient {
    /// The smallest chunk samforge sends (but for a blob's last one): ECR's undeclared minimum.
    public static let minimumChunkFloor: Int64 = 5 << 20
    /// The default chunk: above the floor, under ECR's 10 MiB part limit.
    public static let defaultChunk: Int64 = 8 << 20

    /// Uploads a rewindable source in PATCH chunks of `chunkSize` (raised to the floor and to the
    /// registry's announced minimum); each step uses the newest Location.
    public func uploadBlobChunked(_ digest: Digest, size: Int64, to repository: Repository, from source: RewindableSource,
                                  chunkSize: Int64 = defaultChunk) async throws {
        let location = try await startUpload(repository, for: digest)
        try await resumeChunked(digest, size: size, to: repository, location: location, source: source, from: 0, chunkSize: chunkSize)
    }

    /// Chunks from `start` into the session at `location`; when the registry refuses them, the
    /// whole body in a new session. The session is cancelled when this fails.
    func resumeChunked(_ digest: Digest, size: Int64, to repository: Repository, location: String,
                       source: RewindableSource, from start: Int64, chunkSize: Int64 = defaultChunk) async throws {
        var current = location  // each PATCH answers with the session's next Location
        do {
            try await sendChunks(digest, size: size, to: repository, location: &current, source: source, from: start, chunkSize: chunkSize)
        } catch let refusal as ChunksRefused {
            await cancelUpload(current, repository: repository)
            options.log?("\(displayHost(repository.host)) refused the chunked upload of \(digest.short) (\(refusal)); sending it whole")
            try await uploadWhole(digest, size: size, to: repository, from: source)
        } catch {
            await cancelUpload(current, repository: repository)
            throw error
        }
    }

    /// The registry would not take the blob in chunks: HTTP status and its words.
    struct ChunksRefused: Error, CustomStringConvertible {
        let description: String
    }

    /// The chunk length for `repository.host`: `requested`, raised to the floor and to what the
    /// registry announced.
    func chunkLength(_ requested: Int64, host: String) -> Int64 {
        max(requested, Self.minimumChunkFloor, (minimumChunk[host] ?? nil) ?? 0)
    }

    private func sendChunks(_ digest: Digest, size: Int64, to repository: Repository, location: inout String,
                            source: RewindableSource, from start: Int64, chunkSize: Int64) async throws {
        var offset = start  // what the registry acknowledged, counted from what was sent
        let chunk = chunkLength(chunkSize, host: repository.host)
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
                guard [201, 202, 204].contains(response.status) else {
                    try refuseChunks(response, "PATCH at byte \(offset)")
                    throw try failure(response, host: repository.host, repository: repository.name, operation: "chunk upload of blob \(digest.short)", push: true)
                }
                // `Range` is not read back: ECR's stops at the first chunk although it stores all.
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
                let session = try await resumableSession(location, repository: repository)
                // A session that claims less than it acknowledged (ECR's stuck Range), or more than
                // was sent, cannot be resumed on its word.
                if !session.fresh, session.offset < offset || session.offset > offset + length {
                    location = session.location
                    throw ChunksRefused(description: "the session holds \(session.offset) bytes by its Range, \(offset) were acknowledged")
                }
                (location, offset) = (session.location, session.offset)
            }
        }
        let response = try await send(host: repository.host, method: "PUT", path: appendQuery(location, "digest=\(digest)"),
                                      scopes: [.push(repository.name)])
        guard response.status == 201 || response.status == 204 else {
            try refuseChunks(response, "the final PUT")
            throw try failure(response, host: repository.host, repository: repository.name, operation: "upload of blob \(digest.short)", push: true)
        }
    }

    /// A 4xx other than an auth or rate answer is the registry refusing the chunked way (405 no
    /// chunks, 400 a small chunk or a Content-Range it does not read, 416 an offset it disputes,
    /// 404 a session it dropped, 400 a digest that its stored chunks do not give).
    private func refuseChunks(_ response: HTTPResponse, _ step: String) throws {
        guard (400..<500).contains(response.status), ![401, 403, 407, 408, 429].contains(response.status) else { return }
        let detail = RegistryErrorBody.summary(response).text
        throw ChunksRefused(description: "HTTP \(response.status) to \(step)" + (detail.isEmpty ? "" : ": \(detail)"))
    }

    struct UploadSession {
        var location: String
        var offset: Int64
        /// A new session (the old one was gone), from byte 0.
        var fresh: Bool
    }

    /// Where an interrupted upload can go on: the session's own answer (GET: `Range: 0-N` means
    /// the registry holds N+1 bytes; distribution also answers `0-0` for an empty session) with
    /// the Location it gives back, or else a new session from byte 0. Distribution signs the
    /// offset into the session URL, so a session that took bytes after its last Location
    /// refuses that URL (BLOB_UPLOAD_INVALID) and cancels itself: starting over is then the
    /// only way on. ECR Public answers 404 to the status GET: a new session too.
    func resumableSession(_ location: String, repository: Repository) async throws -> UploadSession {
        let response = try await send(host: repository.host, method: "GET", path: location, scopes: [.push(repository.name)])
        if response.status == 204 || response.status == 202, let range = response.header("range"),
           let offset = uploadedByteCount(range: range) {
            return UploadSession(location: response.location ?? location, offset: offset, fresh: false)
        }
        options.log?("upload session gone (HTTP \(response.status)); starting a new one")
        await cancelUpload(location, repository: repository)
        return UploadSession(location: try await startUpload(repository), offset: 0, fresh: true)
    }
}

/// The bytes an upload session holds, from its `Range: [bytes=]0-N`; nil when malformed.
/// An end of Int64.max is refused: N+1 would overflow.
func uploadedByteCount(range: String) -> Int64? {
    let bounds = range.replacingOccurrences(of: "bytes=", with: "").split(separator: "-")
    guard bounds.count == 2, let end = Int64(bounds[1]), end < .max else { return nil }
    return end == 0 ? 0 : end + 1
}
