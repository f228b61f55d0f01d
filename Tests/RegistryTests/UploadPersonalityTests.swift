import Foundation
import OCI
import Streams
import TestSupport
import Testing
@testable import Registry

/// Uploads through scripts/fault-proxy.py's personalities, each a proxy of the test's own in
/// front of the plain registry: what ECR, GAR and ACR answer to mounts and chunks. Every blob is
/// read back from the registry itself (not through the proxy) and hashed.
@Suite("Uploads as ECR, GAR and ACR answer them", .enabled(if: TestWorld.available))
struct UploadPersonalityTests {
    static let blobSize: Int64 = 12 << 20

    func proxy(_ personalities: [(String, [String: String])]) throws -> PrivateFaultProxy {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        for (name, parameters) in personalities { try proxy.proxy.personality(name, parameters) }
        return proxy
    }

    func client() -> RegistryClient {
        RegistryClient(options: RegistryOptions(retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.2)))
    }

    func blob(_ size: Int64 = blobSize) throws -> (String, Digest) {
        let path = try RegistryWorld.makeFile(size: size, seed: UInt64.random(in: 1...1_000_000))
        return (path, try RegistryWorld.digest(ofFile: path))
    }

    /// The blob as the registry itself serves it: every byte, the right digest.
    func expectStored(_ digest: Digest, size: Int64, repository: String) async throws {
        let hashing = HashingSink()
        try await RegistryWorld.plainClient().fetchBlob(digest, from: Repository(host: TestWorld.plain, name: repository),
                                                        expectedSize: size, into: hashing)
        #expect(hashing.finalize() == digest)
    }

    func patchSizes(_ proxy: PrivateFaultProxy) throws -> [[Int]] {
        let record = try proxy.proxy.personalityRecord()
        return ((record["patch_sizes"] as? [String: [Int]]) ?? [:]).values.filter { !$0.isEmpty }
    }

    /// ECR: an intermediate PATCH answers 201 and `Range` sticks at the first chunk (all chunks
    /// stored): the offset comes from what was sent. ECR Public's upload-status GET answers 404:
    /// after a failed chunk, the upload starts again in a new session.
    @Test(arguments: [("0", 3), ("1", 5)])
    func stuckRangeAndCreatedChunks(status404: String, patches: Int) async throws {
        let proxy = try proxy([("ecr-patch", ["status404": status404])])
        let (path, digest) = try blob()
        let repository = TestWorld.uniqueRepository("ecr-patch")
        if status404 == "1" {
            try proxy.proxy.arm("status", match: "\(repository)/blobs/uploads/", count: 1,
                                ["code": "503", "retry_after": "0", "method": "PATCH", "after": "1"])
        }
        try await client().uploadBlobChunked(digest, size: Self.blobSize, to: Repository(host: proxy.address, name: repository),
                                             from: FileSource(path: path), chunkSize: 1 << 20)
        try await expectStored(digest, size: Self.blobSize, repository: repository)
        // 5 + 5 + 2 MiB (the 5 MiB floor); after the 404, one stored, one failed, then three again.
        #expect(try proxy.proxy.requests(matching: "PATCH").count == patches)
    }

    /// A chunk that fails after two went in, the session then asked where it stands: its Range
    /// (stuck at the first chunk) contradicts what it acknowledged, so its word is not taken and
    /// the blob goes whole in a new session.
    @Test func aFailureUnderAStuckRangeEndsInOneWholePut() async throws {
        let proxy = try proxy([("ecr-patch", [:])])
        let (path, digest) = try blob()
        let repository = TestWorld.uniqueRepository("ecr-fail")
        try proxy.proxy.arm("status", match: "\(repository)/blobs/uploads/", count: 1,
                            ["code": "503", "retry_after": "0", "method": "PATCH", "after": "2"])
        try await client().uploadBlobChunked(digest, size: Self.blobSize, to: Repository(host: proxy.address, name: repository),
                                             from: FileSource(path: path), chunkSize: 1 << 20)
        try await expectStored(digest, size: Self.blobSize, repository: repository)
        #expect(try proxy.proxy.stats()["faults"] == 1)
        #expect(try proxy.proxy.requests(matching: "PATCH").count == 3)  // two stored, one failed: then one whole PUT
        #expect(try proxy.proxy.puts(matching: "digest=\(digest)").count == 1)
        #expect(try proxy.proxy.requests(matching: "DELETE").count == 1)  // the abandoned session
    }

    /// A minimum chunk the registry announces (`OCI-Chunk-Min-Length`) is honoured; one it does
    /// not announce, above samforge's 5 MiB floor, refuses the second chunk: the blob goes whole.
    @Test(arguments: [("1", 0), ("0", 1)])
    func minimumChunk(announce: String, refusals: Int) async throws {
        let minimum = 6 << 20
        let proxy = try proxy([("chunk-min", ["min": String(minimum), "announce": announce])])
        let (path, digest) = try blob()
        let repository = TestWorld.uniqueRepository("chunk-min")
        try await client().uploadBlobChunked(digest, size: Self.blobSize, to: Repository(host: proxy.address, name: repository),
                                             from: FileSource(path: path), chunkSize: 1 << 20)
        try await expectStored(digest, size: Self.blobSize, repository: repository)
        #expect(try proxy.proxy.stats()["chunk_refused", default: 0] == refusals)
        // Announced: two chunks of the minimum; else one of the 5 MiB floor, then one whole PUT.
        let sizes = try patchSizes(proxy)
        #expect(sizes == (refusals == 0 ? [[minimum, minimum]] : [[5 << 20]]), "\(sizes)")
        #expect(try proxy.proxy.puts(matching: "digest=\(digest)").count == 1)
    }

    /// GAR refuses every PATCH (405); ACR refuses `Content-Range: bytes …` (samforge never sends it).
    @Test(arguments: [("monolithic", "patch_refused", 1), ("acr-range", "content_range_refused", 0)])
    func chunkRefusals(personality: String, counter: String, expected: Int) async throws {
        let proxy = try proxy([(personality, [:])])
        let (path, digest) = try blob(3 << 20)
        let repository = TestWorld.uniqueRepository(personality)
        try await client().uploadBlobChunked(digest, size: 3 << 20, to: Repository(host: proxy.address, name: repository),
                                             from: FileSource(path: path))
        try await expectStored(digest, size: 3 << 20, repository: repository)
        #expect(try proxy.proxy.stats()[counter, default: 0] == expected)
    }

    /// A proxy answering mounts as ECR does, a blob of `size` bytes in one repository behind
    /// it, and another repository to mount it into.
    func refusedMount(size: Int64) async throws -> (PrivateFaultProxy, RegistryClient, String, Digest, Repository, Repository) {
        let proxy = try proxy([("ecr-mount", [:])])
        let client = client()
        let (path, digest) = try blob(size)
        let source = Repository(host: proxy.address, name: TestWorld.uniqueRepository("mount-src"))
        let target = Repository(host: proxy.address, name: TestWorld.uniqueRepository("mount-dst"))
        try await client.uploadBlob(digest, size: size, to: source, from: FileSource(path: path))
        return (proxy, client, path, digest, source, target)
    }

    /// ECR answers a mount with 202 and an upload session: not a mount. The upload of that blob
    /// goes on in the session (no second POST, nothing deleted), as the distribution spec allows.
    @Test(arguments: ["stream", "file", "chunks"])
    func theUploadGoesOnInTheSessionARefusedMountOpened(_ kind: String) async throws {
        let (proxy, client, path, digest, source, target) = try await refusedMount(size: 3 << 20)
        #expect(try await client.mountBlob(digest, from: source, into: target) == false)
        let sessions = try #require(proxy.proxy.personalityRecord()["mount_sessions"] as? [String])
        #expect(sessions.count == 1)
        switch kind {
        case "stream":  // a pipe from another registry: cannot rewind
            let file = try FileSource(path: path)
            try await client.uploadBlob(digest, size: 3 << 20, to: target, from: OnePass(file))
        case "file": try await client.uploadBlob(digest, size: 3 << 20, to: target, from: FileSource(path: path))
        default: try await client.uploadBlobChunked(digest, size: 3 << 20, to: target, from: FileSource(path: path), chunkSize: 1 << 20)
        }
        try await expectStored(digest, size: 3 << 20, repository: target.name)
        #expect(try proxy.proxy.requests(matching: "POST /v2/\(target.name)/blobs/uploads/").count == 1, "a second session was opened")
        #expect(try proxy.proxy.requests(matching: "DELETE").isEmpty)
        for session in sessions { #expect(try TestWorld.registryStatus(session) == 404, "session left open: \(session)") }
    }

    /// A session no upload takes is cancelled: when the blob is mounted from elsewhere after
    /// all (a second refused mount replaces the first's session, a 201 ends the second's), or
    /// when the caller gives it up.
    @Test func aSessionNoUploadTakesIsCancelled() async throws {
        let (proxy, client, path, digest, source, target) = try await refusedMount(size: 1 << 20)
        #expect(try await client.mountBlob(digest, from: source, into: target) == false)
        #expect(try await client.mountBlob(digest, from: source, into: target) == false)
        #expect(try proxy.proxy.requests(matching: "DELETE").count == 1, "the replaced session is cancelled")
        await client.discardSpareSession(for: digest, in: target)
        #expect(try proxy.proxy.requests(matching: "DELETE").count == 2)
        let sessions = try #require(proxy.proxy.personalityRecord()["mount_sessions"] as? [String])
        #expect(sessions.count == 2)
        for session in sessions { #expect(try TestWorld.registryStatus(session) == 404, "session left open: \(session)") }
        // Nothing left to take: the next upload opens its own session.
        try await client.uploadBlob(digest, size: 1 << 20, to: target, from: FileSource(path: path))
        try await expectStored(digest, size: 1 << 20, repository: target.name)
    }
}

/// A source that can be read once only (not rewindable), as a pipe from another registry is.
private final class OnePass: ByteSource, @unchecked Sendable {
    private let inner: ByteSource
    init(_ inner: ByteSource) { self.inner = inner }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try inner.read(into: buffer) }
}
