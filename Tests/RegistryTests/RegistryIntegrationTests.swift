import Foundation
import OCI
import Streams
import TestSupport
import Testing
@testable import Registry

/// The registry client against Debian's docker-registry in its four configurations.
@Suite("Registry client against real registries", .enabled(if: TestWorld.available), .serialized)
struct RegistryIntegrationTests {
    let nodeList = "sam/build-nodejs18.x:1.143.0"

    @Test func anonymousBearerPullFromTheTokenRegistry() async throws {
        let client = RegistryWorld.plainClient()
        let reference = try RegistryWorld.reference(TestWorld.token, nodeList)
        let manifest = try await client.fetchManifest(reference)
        #expect(manifest.mediaType == MediaType.dockerManifestList)
        #expect(manifest.digest.description == TestWorld.fixtures[nodeList]?.digest)
        // Child by digest: verified against the bytes.
        let child = try manifest.decodeIndex().child(for: .linuxAMD64)
        let amd64 = try await client.fetchManifest(reference.withDigest(try #require(child).digest))
        #expect(amd64.digest == child?.digest)
    }

    @Test func anonymousPushToTheTokenRegistryNeedsCredentials() async throws {
        let client = RegistryWorld.plainClient()
        let reference = try RegistryWorld.reference(TestWorld.token, TestWorld.uniqueRepository("anon") + ":t")
        await #expect {
            _ = try await RegistryWorld.pushTinyImage(client, to: reference)
        } throws: { error in
            guard case RegistryError.authenticationRequired(let host, _) = error else { return false }
            return host == TestWorld.token
        }
    }

    @Test func credentialedBearerPushAndTokenReuse() async throws {
        let tokenRequests = Counter()
        let client = RegistryClient(options: RegistryOptions(
            credentials: LayeredCredentials(overrides: [TestWorld.token: Credentials(username: TestWorld.tokenUser, password: TestWorld.tokenPassword)], fallback: nil),
            log: { line in if line.hasPrefix("GET \(TestWorld.tokenIssuer)/token") { tokenRequests.increment() } }))
        let reference = try RegistryWorld.reference(TestWorld.token, TestWorld.uniqueRepository("push") + ":v1")
        let raw = try await RegistryWorld.pushTinyImage(client, to: reference)
        let pulled = try await RegistryWorld.tokenClient().fetchManifest(reference)
        #expect(pulled.bytes == raw.bytes)
        #expect(try await client.manifestDescriptor(reference)?.digest == raw.digest)
        #expect(try await client.blobSize(try raw.decodeManifest().config.digest, in: Repository(reference)) != nil)
        // Registry requests needing pull+push (the upload, the manifest) and pull (the HEADs):
        // the first token, for pull+push, serves them all.
        #expect(tokenRequests.value == 1)
    }

    @Test func wrongTokenCredentialsFailClearly() async throws {
        let client = RegistryWorld.tokenClient(password: "wrong")
        let reference = try RegistryWorld.reference(TestWorld.token, nodeList)
        await #expect {
            _ = try await client.fetchManifest(reference)
        } throws: { error in
            guard case RegistryError.authenticationFailed(let host, _) = error else { return false }
            return host == TestWorld.token && !String(describing: error).contains("wrong")
        }
    }

    @Test func basicAuthWithAndWithoutCredentials() async throws {
        let reference = try RegistryWorld.reference(TestWorld.basic, nodeList)
        let manifest = try await RegistryWorld.basicClient().fetchManifest(reference)
        #expect(manifest.digest.description == TestWorld.fixtures[nodeList]?.digest)
        await #expect {
            _ = try await RegistryWorld.plainClient().fetchManifest(reference)
        } throws: { error in
            if case RegistryError.authenticationRequired = error { return true }
            return false
        }
        await #expect {
            _ = try await RegistryWorld.basicClient(password: "nope").fetchManifest(reference)
        } throws: { error in
            "\(error)".contains(TestWorld.basic) && !"\(error)".contains("nope")
        }
    }

    @Test func tlsWithCAFileAndWithout() async throws {
        let reference = try RegistryWorld.reference(TestWorld.tls, nodeList)
        let trusted = RegistryWorld.client(credentials: [:], caFile: TestWorld.caFile)
        #expect(try await trusted.fetchManifest(reference).digest.description == TestWorld.fixtures[nodeList]?.digest)
        await #expect {
            _ = try await RegistryWorld.plainClient().fetchManifest(reference)
        } throws: { error in
            if case RegistryError.tlsVerification = error { return true }
            return false
        }
        // --insecure-registry skips verification for that host only.
        let insecure = RegistryClient(options: RegistryOptions(insecureHosts: [TestWorld.tls]))
        #expect(try await insecure.fetchManifest(reference).mediaType == MediaType.dockerManifestList)
    }

    @Test func largeBlobRoundTripIsStreamedAndVerified() async throws {
        let size: Int64 = 210 * 1024 * 1024
        let path = try RegistryWorld.makeFile(size: size)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let digest = try RegistryWorld.digest(ofFile: path)
        let client = RegistryWorld.plainClient()
        let repository = Repository(host: TestWorld.plain, name: TestWorld.uniqueRepository("large"))

        try await client.uploadBlob(digest, size: size, to: repository, from: FileSource(path: path))
        #expect(try await client.blobSize(digest, in: repository) == size)
        let hashing = HashingSink()
        try await client.fetchBlob(digest, from: repository, expectedSize: size, into: hashing)
        #expect(hashing.finalize() == digest)
        #expect(hashing.count == size)
        // Flat memory for blobs this size is measured per process, in CLITests' StreamingMemoryTests.
    }

    @Test func chunkedUploadProducesTheSameBlob() async throws {
        let size: Int64 = 5 * 1024 * 1024 + 123
        let path = try RegistryWorld.makeFile(size: size, seed: 7)
        let digest = try RegistryWorld.digest(ofFile: path)
        let client = RegistryWorld.plainClient()
        let repository = Repository(host: TestWorld.plain, name: TestWorld.uniqueRepository("chunked"))
        try await client.uploadBlobChunked(digest, size: size, to: repository, from: FileSource(path: path), chunkSize: 1 << 20)
        #expect(try await client.blobSize(digest, in: repository) == size)
    }

    @Test func chunkedUploadWithTheWrongDigestIsNeverCommitted() async throws {
        let path = try RegistryWorld.makeFile(size: 3 * 1024 * 1024, seed: 11)
        let claimed = Digest.of(Array("not this file".utf8))
        let client = RegistryWorld.plainClient()
        let repository = Repository(host: TestWorld.plain, name: TestWorld.uniqueRepository("chunked-bad"))
        await #expect(throws: RegistryError.self) {
            try await client.uploadBlobChunked(claimed, size: 3 * 1024 * 1024, to: repository, from: FileSource(path: path), chunkSize: 1 << 20)
        }
        #expect(try await client.blobSize(claimed, in: repository) == nil)
    }

    @Test func corruptUploadIsRefusedAndNeverCommitted() async throws {
        let bytes = Array("the real content".utf8)
        let claimed = Digest.of(Array("something else".utf8))
        let client = RegistryWorld.plainClient()
        let repository = Repository(host: TestWorld.plain, name: TestWorld.uniqueRepository("corrupt"))
        await #expect {
            try await client.uploadBlob(claimed, size: Int64(bytes.count), to: repository, from: MemorySource(bytes))
        } throws: { error in
            if case RegistryError.digestMismatch = error { return true }
            return false
        }
        #expect(try await client.blobSize(claimed, in: repository) == nil)
    }

    @Test func crossRepositoryMountMovesNoBytes() async throws {
        let client = RegistryWorld.tokenClient()
        let bytes = Array("mount me \(UUID())".utf8)
        let digest = Digest.of(bytes)
        let source = Repository(host: TestWorld.token, name: TestWorld.uniqueRepository("mount-src"))
        let target = Repository(host: TestWorld.token, name: TestWorld.uniqueRepository("mount-dst"))
        try await client.uploadBlob(digest, size: Int64(bytes.count), to: source, from: MemorySource(bytes))
        #expect(try await client.blobSize(digest, in: target) == nil)
        #expect(try await client.mountBlob(digest, from: source, into: target))
        #expect(try await client.blobSize(digest, in: target) == Int64(bytes.count))
        // A blob the source does not have falls back (202) and reports "not mounted".
        let missing = Digest.of(Array("never uploaded \(UUID())".utf8))
        #expect(try await client.mountBlob(missing, from: source, into: target) == false)
    }

    @Test func tagsAreListedAcrossPages() async throws {
        let client = RegistryWorld.plainClient()
        let name = TestWorld.uniqueRepository("tags")
        for tag in ["a", "b", "c", "d", "e"] {
            _ = try await RegistryWorld.pushTinyImage(client, to: try RegistryWorld.reference(TestWorld.plain, "\(name):\(tag)"))
        }
        let tags = try await client.listTags(Repository(host: TestWorld.plain, name: name), pageSize: 2)
        #expect(tags.sorted() == ["a", "b", "c", "d", "e"])
    }

    @Test func missingTagAndRepositoryAreNamed() async throws {
        let client = RegistryWorld.plainClient()
        let missingTag = try RegistryWorld.reference(TestWorld.plain, "sam/build-nodejs18.x:0.0.0")
        await #expect {
            _ = try await client.fetchManifest(missingTag)
        } throws: { error in
            "\(error)".contains(missingTag.description) && "\(error)".contains("manifest unknown")
        }
        let missingRepository = try RegistryWorld.reference(TestWorld.plain, "no/such-repo:1")
        await #expect {
            _ = try await client.fetchManifest(missingRepository)
        } throws: { error in
            "\(error)".contains("no/such-repo")
        }
        let blob = Digest.of(Array("absent".utf8))
        #expect(try await client.blobSize(blob, in: Repository(host: TestWorld.plain, name: "sam/build-nodejs18.x")) == nil)
    }

    @Test func unreachableRegistriesAreOneClearLine() async throws {
        let client = RegistryWorld.plainClient()
        await #expect {
            _ = try await client.fetchManifest(try Reference(parsing: "127.0.0.1:1/a/b:c"))
        } throws: { error in
            "\(error)" == "cannot reach registry 127.0.0.1:1: connection refused"
        }
        await #expect {
            _ = try await client.fetchManifest(try Reference(parsing: "no-such-host.invalid/a/b:c"))
        } throws: { error in
            "\(error)" == "cannot reach registry no-such-host.invalid: unknown host"
        }
    }

    @Test func digestPinnedPullVerifiesBytes() async throws {
        let client = RegistryWorld.plainClient()
        let wrong = Digest.of(Array("x".utf8))
        let reference = try RegistryWorld.reference(TestWorld.plain, "sam/build-nodejs18.x@\(wrong)")
        await #expect(throws: RegistryError.self) { _ = try await client.fetchManifest(reference) }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
