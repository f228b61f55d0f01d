import Foundation
import OCI
import Streams
import TestSupport
import Testing
@testable import Registry

/// Downloads and credentials through scripts/fault-proxy.py's personalities (a proxy of the
/// test's own): ranges a registry takes only closed, presigned storage redirects that expire,
/// one token per scope set for concurrent transfers, stale credentials, challenges without
/// scope or with ECR's Basic realm.
@Suite("Pulls and credentials as real registries answer them", .enabled(if: TestWorld.available))
struct PullPersonalityTests {
    func proxy(_ upstream: String, _ personalities: [(String, [String: String])]) throws -> PrivateFaultProxy {
        let proxy = try PrivateFaultProxy(upstream: upstream)
        for (name, parameters) in personalities { try proxy.proxy.personality(name, parameters) }
        return proxy
    }

    func client(credentials: [String: Credentials] = [:], warnings: Lines? = nil, pushing: Set<Repository> = []) -> RegistryClient {
        var options = RegistryOptions(credentials: LayeredCredentials(overrides: credentials, fallback: nil),
                                      retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.2))
        if let warnings { options.warn = { line in warnings.append(line) } }
        options.pushRepositories = pushing
        return RegistryClient(options: options)
    }

    func tokenCredentials(_ host: String, password: String = TestWorld.tokenPassword) -> [String: Credentials] {
        [host: Credentials(username: TestWorld.tokenUser, password: password, origin: "the test's credentials")]
    }

    /// A 1 MiB blob in a new repository of the plain registry.
    func plainBlob() async throws -> (Digest, Int64, String) {
        let path = try RegistryWorld.makeFile(size: 1 << 20, seed: UInt64.random(in: 1...1_000_000))
        let digest = try RegistryWorld.digest(ofFile: path)
        let repository = TestWorld.uniqueRepository("pull")
        try await RegistryWorld.plainClient().uploadBlob(digest, size: 1 << 20, to: Repository(host: TestWorld.plain, name: repository),
                                                         from: FileSource(path: path))
        return (digest, 1 << 20, repository)
    }

    func fetch(_ digest: Digest, _ size: Int64, from repository: Repository, with client: RegistryClient) async throws {
        let hashing = HashingSink()
        try await client.fetchBlob(digest, from: repository, expectedSize: size, into: hashing)
        #expect(hashing.finalize() == digest)
        #expect(hashing.count == size)
    }

    /// go-containerregistry's registry: `bytes=N-` is refused with 416, `bytes=N-M` served; a
    /// registry refusing every range gets the whole blob again, its first bytes skipped.
    @Test(arguments: [("open", 0), ("all", 1)])
    func resumesWithClosedRanges(refuse: String, refusals: Int) async throws {
        let (digest, size, repository) = try await plainBlob()
        let proxy = try proxy(TestWorld.plain, [("closed-range", ["refuse": refuse])])
        try proxy.proxy.arm("truncate", match: "\(repository)/blobs/sha256", count: 1)
        try await fetch(digest, size, from: Repository(host: proxy.address, name: repository), with: client())
        #expect(try proxy.proxy.stats()["faults"] == 1)
        #expect(try proxy.proxy.stats()["range_refused", default: 0] == refusals)
    }

    /// ECR → S3: no Authorization reaches storage (it answers 400 to one); a presigned URL is
    /// never tried twice: after a failure there, or its expiry (403), the registry gives a new one.
    @Test(arguments: [
        ([String: String](), 1, 0),
        (["reset_first": "1"], 2, 0),
        (["delay_first": "1", "delay": "1.5", "expires": "1"], 2, 1),
    ])
    func presignedStorage(parameters: [String: String], redirects: Int, expired: Int) async throws {
        let proxy = try proxy(TestWorld.token, [("presigned", parameters)])
        let client = client(credentials: tokenCredentials(proxy.address))
        let path = try RegistryWorld.makeFile(size: 1 << 20, seed: UInt64.random(in: 1...1_000_000))
        let digest = try RegistryWorld.digest(ofFile: path)
        let repository = Repository(host: proxy.address, name: TestWorld.uniqueRepository("presigned"))
        try await client.uploadBlob(digest, size: 1 << 20, to: repository, from: FileSource(path: path))
        try await fetch(digest, 1 << 20, from: repository, with: client)
        let stats = try proxy.proxy.stats()
        #expect(stats["presigned_redirects"] == redirects)
        #expect(stats["storage_with_auth", default: 0] == 0)
        #expect(stats["storage_reused", default: 0] == 0)
        #expect(stats["storage_expired", default: 0] == expired)
        #expect(stats["storage_served"] == 1)
    }

    /// Concurrent transfers wait for the first token request: one per scope set per run, and a
    /// repository this run pushes to gets push with its first token, which then serves its pulls.
    @Test func oneTokenForConcurrentTransfers() async throws {
        let issuer = String(TestWorld.tokenIssuer.dropFirst("http://".count))
        let proxy = try proxy(TestWorld.token, [("token-relay", ["issuer": issuer])])
        let target = Repository(host: proxy.address, name: TestWorld.uniqueRepository("one-token"))
        let client = client(credentials: tokenCredentials(proxy.address), pushing: [target])
        let blobs = try (0..<8).map { _ in
            let path = try RegistryWorld.makeFile(size: 256 << 10, seed: UInt64.random(in: 1...1_000_000))
            return (path, try RegistryWorld.digest(ofFile: path))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (path, digest) in blobs {
                group.addTask {
                    if try await client.blobSize(digest, in: target) == nil {
                        try await client.uploadBlob(digest, size: 256 << 10, to: target, from: FileSource(path: path))
                    }
                }
            }
            try await group.waitForAll()
        }
        let tokens = try #require(proxy.proxy.personalityRecord()["token_scopes"] as? [[String: Any]])
        #expect(tokens.count == 1)
        #expect(tokens.first?["scopes"] as? [String] == ["repository:\(target.name):pull,push"])
    }

    /// ECR Public with a stale stored token: requests carrying it get 403 DENIED, anonymous ones
    /// pass. A pull is tried once anonymously, said once; the run's other pulls go anonymously at
    /// once; a push keeps the credentials and fails with the registry's words.
    @Test func staleCredentialsFallBackToAnonymousPullsOnly() async throws {
        let proxy = try proxy(TestWorld.token, [("stale-credential", [:])])
        let warnings = Lines()
        let client = client(credentials: tokenCredentials(proxy.address), warnings: warnings)
        for reference in ["sam/build-nodejs18.x:1.143.0", "sam/build-python3.12:1.143.0"] {
            let manifest = try await client.fetchManifest(try Reference(parsing: "\(proxy.address)/\(reference)"))
            #expect(manifest.isIndex)
        }
        #expect(try proxy.proxy.stats()["stale_denied"] == 1)
        #expect(warnings.all.count == 1)
        let warning = try #require(warnings.all.first)
        // The first pull is a HEAD: a 403 without the registry's words.
        #expect(warning.contains("refused the stored credentials for a pull (HTTP 403"), "\(warning)")
        #expect(warning.contains("the credentials come from the test's credentials") && warning.contains("samforge login \(proxy.address)"))
        await #expect {
            _ = try await RegistryWorld.pushTinyImage(client, to: try Reference(parsing: "\(proxy.address)/\(TestWorld.uniqueRepository("stale")):1"))
        } throws: { error in
            "\(error)".contains("access denied") && "\(error)".contains("Your authorization token has expired")
        }
    }

    /// Artifactory's challenge names no scope, ECR's is Basic with a realm and service: the
    /// client builds `repository:NAME:pull[,push]` itself, and a Basic registry's 401 to
    /// credentials says they were rejected and where they came from.
    @Test func challengesWithoutScopeAndBasicOnly() async throws {
        let noScope = try proxy(TestWorld.token, [("no-scope", [:])])
        let reference = try Reference(parsing: "\(noScope.address)/\(TestWorld.uniqueRepository("no-scope")):1")
        let raw = try await RegistryWorld.pushTinyImage(client(credentials: tokenCredentials(noScope.address)), to: reference)
        #expect(try await client().fetchManifest(reference).bytes == raw.bytes)

        let ecr = try proxy(TestWorld.basic, [("ecr-basic", [:])])
        let good = [ecr.address: Credentials(username: TestWorld.basicUser, password: TestWorld.basicPassword)]
        _ = try await RegistryWorld.pushTinyImage(client(credentials: good), to: try Reference(parsing: "\(ecr.address)/\(TestWorld.uniqueRepository("ecr")):1"))
        let bad = [ecr.address: Credentials(username: TestWorld.basicUser, password: "wrong", origin: "a test file, key \"x\"")]
        await #expect {
            _ = try await client(credentials: bad).fetchManifest(try Reference(parsing: "\(ecr.address)/sam/build-nodejs18.x:1.143.0"))
        } throws: { error in
            let text = "\(error)"
            return text == "authentication failed for \(ecr.address): the registry rejected the credentials (HTTP 401: Not Authorized)"
                + " (the credentials come from a test file, key \"x\")"
        }
    }
}
