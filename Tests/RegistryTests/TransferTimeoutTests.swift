import Foundation
import OCI
import Streams
import TestSupport
import Testing
@testable import Registry

/// The per-request clocks against a registry that stops: a body that stalls half-way, an
/// upload whose answer never comes. Each is a transient failure the client survives.
@Suite("Transfer timeouts", .enabled(if: TestWorld.available))
struct TransferTimeoutTests {
    func client(_ timeouts: TransferTimeouts, log: Lines) -> RegistryClient {
        var options = RegistryOptions(retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.2))
        options.timeouts = timeouts
        options.log = { line in log.append(line) }
        return RegistryClient(options: options)
    }

    @Test func stalledDownloadResumes() async throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        let log = Lines()
        let client = client(TransferTimeouts(stall: 1), log: log)
        let repository = Repository(host: proxy.address, name: TestWorld.uniqueRepository("stall-get"))
        let path = try RegistryWorld.makeFile(size: 2 << 20, seed: 7)
        let digest = try RegistryWorld.digest(ofFile: path)
        try await client.uploadBlob(digest, size: 2 << 20, to: repository, from: FileSource(path: path))
        try proxy.proxy.arm("slowbody", match: "/blobs/\(digest)", count: 1, ["seconds": "30", "method": "GET"])
        let hashing = HashingSink()
        try await client.fetchBlob(digest, from: repository, expectedSize: 2 << 20, into: hashing)
        #expect(hashing.finalize() == digest)
        #expect(log.all.contains { $0.hasPrefix("resuming blob \(digest.short) at byte ") }, "\(log.all)")
    }

    @Test func unansweredUploadGoesOn() async throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        let log = Lines()
        let client = client(TransferTimeouts(firstByte: 1), log: log)
        let repository = Repository(host: proxy.address, name: TestWorld.uniqueRepository("stall-put"))
        let path = try RegistryWorld.makeFile(size: 1 << 20, seed: 8)
        let digest = try RegistryWorld.digest(ofFile: path)
        try proxy.proxy.arm("stall", match: "digest=\(digest)", count: 1, ["seconds": "30"])
        try await client.uploadBlob(digest, size: 1 << 20, to: repository, from: FileSource(path: path))
        #expect(try await RegistryWorld.plainClient().blobSize(digest, in: Repository(host: TestWorld.plain, name: repository.name)) == 1 << 20)
        #expect(try proxy.proxy.stats()["faults"] == 1)
    }
}
