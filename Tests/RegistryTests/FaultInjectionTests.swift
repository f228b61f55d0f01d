import Foundation
import OCI
import Streams
import TestSupport
import Testing
@testable import Registry

/// The client behind scripts/fault-proxy.py, which sits in front of the token registry and
/// injects the failures real registries and CDNs produce.
@Suite("Fault tolerance through the fault-injection proxy", .enabled(if: TestWorld.available), .serialized)
struct FaultInjectionTests {
    let proxy = TestWorld.faultProxy
    var faults: FaultProxy { FaultProxy(address: proxy) }

    func arm(_ kind: String, match: String, count: Int = 1, code: Int = 503, retryAfter: String? = nil) throws {
        try faults.arm(kind, match: match, count: count, ["code": String(code)].merging(retryAfter.map { ["retry_after": $0] } ?? [:]) { $1 })
    }

    func stats() throws -> [String: Int] { try faults.stats() }

    func reset() throws { try faults.reset() }

    func client() -> RegistryClient {
        RegistryClient(options: RegistryOptions(
            credentials: LayeredCredentials(overrides: [proxy: Credentials(username: TestWorld.tokenUser, password: TestWorld.tokenPassword)], fallback: nil),
            retry: RetryPolicy(maxAttempts: 4, baseDelay: 0.05, maxDelay: 0.2)))
    }

    /// A 1 MiB blob pushed through the proxy into a fresh repository.
    func pushBlob(_ client: RegistryClient) async throws -> (Digest, Int64, Repository) {
        let path = try RegistryWorld.makeFile(size: 1 << 20, seed: UInt64.random(in: 1...1_000_000))
        let digest = try RegistryWorld.digest(ofFile: path)
        let repository = Repository(host: proxy, name: TestWorld.uniqueRepository("faults"))
        try await client.uploadBlob(digest, size: 1 << 20, to: repository, from: FileSource(path: path))
        return (digest, 1 << 20, repository)
    }

    @Test func transientStatusesAreRetriedHonouringRetryAfter() async throws {
        try reset()
        let client = client()
        try arm("status", match: "/manifests/", count: 2, code: 503, retryAfter: "0")
        let manifest = try await client.fetchManifest(try Reference(parsing: "\(proxy)/sam/build-nodejs18.x:1.143.0"))
        #expect(manifest.mediaType == MediaType.dockerManifestList)
        try arm("status", match: "/blobs/", count: 1, code: 429, retryAfter: "0")
        let (digest, size, repository) = try await pushBlob(client)
        #expect(try await client.blobSize(digest, in: repository) == size)
        #expect(try stats()["faults"] == 3)
    }

    @Test func persistentFailureGivesUpWithOneLine() async throws {
        try reset()
        try arm("status", match: "/manifests/", count: 10, code: 502)
        await #expect {
            _ = try await client().fetchManifest(try Reference(parsing: "\(proxy)/sam/build-nodejs18.x:1.143.0"))
        } throws: { error in
            "\(error)".contains("HTTP 502") && !"\(error)".contains("\n")
        }
        try reset()
    }

    /// The connection drops mid-PUT after the registry stored half the blob. Distribution signs
    /// the offset into the session URL, so the old URL is refused; the upload starts over in a
    /// new session (from the file) instead of failing.
    @Test func droppedUploadGoesOnInANewSession() async throws {
        try reset()
        let client = client()
        let size: Int64 = 3 << 20
        let path = try RegistryWorld.makeFile(size: size, seed: UInt64.random(in: 1...1_000_000))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let digest = try RegistryWorld.digest(ofFile: path)
        let repository = Repository(host: proxy, name: TestWorld.uniqueRepository("cut"))
        try arm("cut", match: "\(repository.name)/blobs/uploads/")
        try await client.uploadBlob(digest, size: size, to: repository, from: FileSource(path: path))
        #expect(try stats()["faults"] == 1)
        #expect(try await client.blobSize(digest, in: repository) == size)
        let hashing = HashingSink()
        try await client.fetchBlob(digest, from: repository, expectedSize: size, into: hashing)
        #expect(hashing.finalize() == digest)
    }

    @Test func droppedDownloadResumesWithRange() async throws {
        try reset()
        let client = client()
        let (digest, size, repository) = try await pushBlob(client)
        try arm("truncate", match: "/blobs/sha256", count: 1)
        let hashing = HashingSink()
        try await client.fetchBlob(digest, from: repository, expectedSize: size, into: hashing)
        #expect(hashing.finalize() == digest)
        #expect(hashing.count == size)
        #expect(try stats()["faults"] == 1)
    }

    @Test func corruptedDownloadIsRejected() async throws {
        try reset()
        let client = client()
        let (digest, size, repository) = try await pushBlob(client)
        try arm("corrupt", match: "/blobs/sha256", count: 1)
        await #expect {
            try await client.fetchBlob(digest, from: repository, expectedSize: size, into: DiscardingSink())
        } throws: { error in
            if case RegistryError.digestMismatch = error { return true }
            return false
        }
    }

    @Test func redirectToAnotherHostCarriesNoCredentials() async throws {
        try reset()
        let client = client()
        let (digest, size, repository) = try await pushBlob(client)
        try arm("redirect", match: "/blobs/sha256", count: 1)
        let hashing = HashingSink()
        try await client.fetchBlob(digest, from: repository, expectedSize: size, into: hashing)
        #expect(hashing.finalize() == digest)
        let counters = try stats()
        #expect(counters["redirected_without_auth"] == 1)
        #expect(counters["redirected_with_auth"] == 0)
    }
}
