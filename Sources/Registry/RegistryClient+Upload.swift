import OCI
import Streams

/// Wraps an upload body: hashes and counts it, and fails the read that would deliver the last
/// byte if the digest or size is wrong, so a corrupt blob never reaches the registry's commit.
final class VerifyingSource: ByteSource, @unchecked Sendable {
    private let upstream: ByteSource
    /// nil when the producer verifies the digest before the last byte (`VerifiedBeforeEndSource`).
    private let hasher: SHA256Hasher?
    private let expected: Digest
    private let size: Int64
    private(set) var count: Int64 = 0

    init(_ upstream: ByteSource, expected: Digest, size: Int64, hashing: Bool = true) {
        self.upstream = upstream
        self.expected = expected
        self.size = size
        hasher = hashing ? SHA256Hasher() : nil
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let remaining = size - count
        if remaining <= 0 { return 0 }
        let window = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), remaining))])
        let n = try upstream.read(into: window)
        if n == 0 { throw RegistryError.sizeMismatch(what: "blob \(expected)", expected: size, actual: count) }
        hasher?.update(UnsafeRawBufferPointer(rebasing: window[0..<n]))
        count += Int64(n)
        if count == size, let hasher {
            let actual = hasher.finalize()
            guard actual == expected else { throw RegistryError.digestMismatch(what: "blob being uploaded", expected: expected, actual: actual) }
        }
        return n
    }
}

extension RegistryClient {
    /// Uploads a blob: POST opens a session, then one streamed PUT carries the whole body
    /// (what registries ingest fastest). A rewindable source (a file) that fails mid-way
    /// continues as a chunked upload from the offset the registry reports, instead of restarting.
    /// `hashing: false` when the source verifies the digest itself before its last byte.
    public func uploadBlob(_ digest: Digest, size: Int64, to repository: Repository, from source: ByteSource,
                           hashing: Bool = true) async throws {
        let location = try await startUpload(repository)
        let body = VerifyingSource(source, expected: digest, size: size, hashing: hashing)
        let response: HTTPResponse
        do {
            response = try await send(host: repository.host, method: "PUT", path: appendQuery(location, "digest=\(digest)"),
                                      headers: [("Content-Type", "application/octet-stream")],
                                      body: body, bodyLength: size, scopes: [.push(repository.name)])
        } catch let error as RegistryError {
            if case .unreachable = error, let file = source as? RewindableSource, !Interruption.isRequested {
                options.log?("upload of \(digest.short) interrupted; resuming in chunks")
                let session: (location: String, offset: Int64)
                do { session = try await resumableSession(location, repository: repository) } catch {
                    await cancelUpload(location, repository: repository)
                    throw error
                }
                try await resumeChunked(digest, size: size, to: repository, location: session.location, source: file, from: session.offset)
                return
            }
            await cancelUpload(location, repository: repository)
            throw error
        } catch {
            await cancelUpload(location, repository: repository)
            throw error
        }
        guard response.status == 201 || response.status == 204 else {
            await cancelUpload(location, repository: repository)
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
                guard error.isTransient, failures < options.retry.maxAttempts, !Interruption.isRequested else { throw error }
                failures += 1
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

/// A window of a rewindable source, read by skipping (files seek; others are re-read).
enum FileSourceSlicer {
    static func slice(_ source: RewindableSource, offset: Int64, length: Int64) throws -> RewindableSource {
        if let file = source as? FileSource { return try FileSource(path: file.path, offset: offset, length: length) }
        return try SkippingSource(source, offset: offset, length: length)
    }
}

final class SkippingSource: RewindableSource, @unchecked Sendable {
    private let upstream: RewindableSource
    private let offset: Int64
    let length: Int64?
    private var position: Int64 = 0

    init(_ upstream: RewindableSource, offset: Int64, length: Int64) throws {
        self.upstream = upstream
        self.offset = offset
        self.length = length
        try rewind()
    }

    func rewind() throws {
        try upstream.rewind()
        position = 0
        var toSkip = offset
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        while toSkip > 0 {
            let n = try scratch.withUnsafeMutableBytes { try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Int(min(Int64($0.count), toSkip))])) }
            if n == 0 { break }
            toSkip -= Int64(n)
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let remaining = (length ?? .max) - position
        guard remaining > 0 else { return 0 }
        let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), remaining))]))
        position += Int64(n)
        return n
    }
}


import Foundation
