import Foundation
import OCI
import Streams
import TestSupport
import Testing
@testable import Registry

/// Every kind of request with a body, against a proxy that reads the whole body and then closes
/// the (reused, keep-alive) connection without answering, or answers 429/503: a body that can
/// be rewound is sent again; one that cannot fails with a transient error its caller retries.
@Suite("Request bodies sent again", .enabled(if: TestWorld.available))
struct BodyResendTests {
    let proxy: PrivateFaultProxy
    init() throws { proxy = try PrivateFaultProxy(upstream: TestWorld.plain) }

    /// Retries the client announced: none when libcurl resent a body itself.
    let retries = Lines()

    func client(retries attempts: Int = 4) -> RegistryClient {
        var options = RegistryOptions(retry: RetryPolicy(maxAttempts: attempts + 1, baseDelay: 0.05, maxDelay: 0.2))
        options.onRetry = { [retries] line in retries.append(line) }
        return RegistryClient(options: options)
    }

    func repository(_ prefix: String) -> Repository { Repository(host: proxy.address, name: TestWorld.uniqueRepository(prefix)) }

    func blobFile(size: Int64) throws -> (String, Digest) {
        let path = try RegistryWorld.makeFile(size: size, seed: UInt64.random(in: 1...1_000_000))
        return (path, try RegistryWorld.digest(ofFile: path))
    }

    /// What the registry itself holds (not the proxy): the blob, whole.
    func expectStored(_ digest: Digest, size: Int64, in repository: Repository) async throws {
        let direct = Repository(host: TestWorld.plain, name: repository.name)
        let hashing = HashingSink()
        try await RegistryWorld.plainClient().fetchBlob(digest, from: direct, expectedSize: size, into: hashing)
        #expect(hashing.finalize() == digest)
    }

    @Test(arguments: ["PUT", "POST"])
    func monolithicUploadFromAFile(droppedMethod: String) async throws {
        let client = client()
        let repository = repository("drop-put")
        let (path, digest) = try blobFile(size: 2 << 20)
        // A first request opens the connection the dropped one reuses.
        _ = try await client.blobSize(digest, in: repository)
        try proxy.proxy.arm("drop", match: "\(repository.name)/blobs/uploads/", count: 1, ["method": droppedMethod])
        try await client.uploadBlob(digest, size: 2 << 20, to: repository, from: FileSource(path: path))
        let stats = try proxy.proxy.stats()
        #expect(stats["faults"] == 1)
        // libcurl sent the body again on a new connection: no retry of ours, no chunked fallback.
        #expect(retries.all.isEmpty, "\(retries.all)")
        #expect(stats["PATCH"] == nil)
        #expect(stats[droppedMethod] == 2)
        try await expectStored(digest, size: 2 << 20, in: repository)
    }

    @Test func manifestFromMemory() async throws {
        let client = client()
        let repository = repository("drop-manifest")
        let reference = try Reference(parsing: "\(repository):v1")
        try proxy.proxy.arm("drop", match: "\(repository.name)/manifests/", count: 1, ["method": "PUT"])
        let raw = try await RegistryWorld.pushTinyImage(client, to: reference)
        #expect(try proxy.proxy.stats()["faults"] == 1)
        #expect(retries.all.isEmpty, "\(retries.all)")
        let direct = try await RegistryWorld.plainClient().fetchManifest(try Reference(parsing: "\(TestWorld.plain)/\(repository.name):v1"))
        #expect(direct.bytes == raw.bytes)
    }

    @Test(arguments: ["drop", "status"])
    func chunkPatches(fault: String) async throws {
        let client = client()
        let repository = repository("drop-patch")
        let size: Int64 = 3 << 20
        let (path, digest) = try blobFile(size: size)
        _ = try await client.blobSize(digest, in: repository)
        // The second chunk: dropped after its body, or answered 503 with Retry-After.
        try proxy.proxy.arm(fault, match: "\(repository.name)/blobs/uploads/", count: 1,
                            ["code": "503", "retry_after": "1", "method": "PATCH", "also": "_state"])
        try await client.uploadBlobChunked(digest, size: size, to: repository, from: FileSource(path: path), chunkSize: 1 << 20)
        #expect(try proxy.proxy.stats()["faults"] == 1)
        if fault == "drop" {
            #expect(retries.all.isEmpty, "\(retries.all)")
        } else {
            // The session asked where it stands, after the wait the registry asked for.
            #expect(retries.all.count == 1)
            #expect(retries.all.first?.contains("retrying chunk upload of blob \(digest.short) at byte 0 in 1 s: ") == true, "\(retries.all)")
        }
        try await expectStored(digest, size: size, in: repository)
    }

    @Test(arguments: [(429, "0"), (503, "1"), (502, "0")])
    func transientStatusOnTheUploadPutStartsANewSession(code: Int, retryAfter: String) async throws {
        let client = client()
        let repository = repository("status-put")
        let (path, digest) = try blobFile(size: 1 << 20)
        try proxy.proxy.arm("status", match: "digest=\(digest)", count: 1, ["code": String(code), "retry_after": retryAfter, "method": "PUT"])
        try await client.uploadBlob(digest, size: 1 << 20, to: repository, from: FileSource(path: path))
        #expect(try proxy.proxy.stats()["faults"] == 1)
        #expect(retries.all.count == 1)
        #expect(retries.all.first?.contains("retrying upload of blob \(digest.short)") == true, "\(retries.all)")
        if retryAfter == "1" { #expect(retries.all.first?.contains(" in 1 s: ") == true, "\(retries.all)") }
        // A new session for the second attempt: two POSTs.
        #expect(try proxy.proxy.stats()["POST"] == 2)
        try await expectStored(digest, size: 1 << 20, in: repository)
    }

    /// A pipe cannot be rewound: libcurl's resend fails (CURLE_SEND_FAIL_REWIND), which must
    /// come out as a transient error (the caller restarts the transfer), never as a crash or
    /// a permanent failure.
    @Test func unrewindableBodyFailsTransiently() async throws {
        let client = client()
        let repository = repository("drop-pipe")
        let (path, digest) = try blobFile(size: 1 << 20)
        _ = try await client.blobSize(digest, in: repository)
        try proxy.proxy.arm("drop", match: "digest=\(digest)", count: 1, ["method": "PUT"])
        await #expect {
            try await client.uploadBlob(digest, size: 1 << 20, to: repository, from: OneWaySource(try FileSource(path: path)))
        } throws: { error in
            (error as? RegistryError)?.isTransient == true && !"\(error)".contains("\n")
        }
        #expect(try proxy.proxy.stats()["faults"] == 1)
    }
}

/// A body that cannot start over (as a pipe from a source GET).
final class OneWaySource: ByteSource, @unchecked Sendable {
    private let upstream: ByteSource
    init(_ upstream: ByteSource) { self.upstream = upstream }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try upstream.read(into: buffer) }
}

/// Lines collected from a callback on any thread.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
