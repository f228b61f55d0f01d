import Foundation
import OCI
import Streams
import TestSupport
import Testing
@testable import Registry

/// Referrers, tag lists and manifest PUTs through scripts/fault-proxy.py's personalities (a
/// proxy of the test's own in front of the plain registry), checked at the registry itself.
@Suite("Referrers, tag lists and tags as real registries answer them", .enabled(if: TestWorld.available))
struct ManifestPersonalityTests {
    func proxy(_ personalities: [(String, [String: String])]) throws -> PrivateFaultProxy {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        for (name, parameters) in personalities { try proxy.proxy.personality(name, parameters) }
        return proxy
    }

    /// A subject image and an artifact naming it, pushed through `client` into `repository`.
    func subjectAndReferrer(_ client: RegistryClient, _ repository: Repository) async throws -> (RawManifest, Descriptor) {
        let subject = try await RegistryWorld.pushTinyImage(client, to: Reference(registry: repository.host, repository: repository.name, tag: "1"))
        let empty = Array("{}".utf8)
        try await client.uploadBlob(Digest.of(empty), size: 2, to: repository, from: MemorySource(empty))
        let note = Array("a note about the image\n".utf8)
        try await client.uploadBlob(Digest.of(note), size: Int64(note.count), to: repository, from: MemorySource(note))
        var artifact = ImageManifest(mediaType: MediaType.ociManifest,
                                     config: Descriptor(mediaType: "application/vnd.oci.empty.v1+json", digest: Digest.of(empty), size: 2),
                                     layers: [Descriptor(mediaType: "text/plain", digest: Digest.of(note), size: Int64(note.count))])
        artifact.artifactType = "application/vnd.example.note"
        artifact.subject = subject.descriptor()
        let raw = try RawManifest.encoding(artifact, mediaType: MediaType.ociManifest)
        try await client.putManifest(raw, to: Reference(registry: repository.host, repository: repository.name, digest: raw.digest))
        var descriptor = raw.descriptor()
        descriptor.artifactType = artifact.artifactType
        return (subject, descriptor)
    }

    func fallbackTagExists(_ repository: Repository, _ subject: RawManifest) throws -> Bool {
        try RegistryProbe.manifestStatus(repository.name, ReferrersIndex.tag(for: subject.digest)) == 200
    }

    /// No Referrers API however the registry says so (GHCR's 404 and 303 to a rate-limited web
    /// page, GAR's 302 to a sign-in page, GitLab's HTML 404, a false empty 200, ECR's lying
    /// OCI-Subject): the tag schema carries the referrer, read back whatever the API answered;
    /// no redirect is followed (credentials never reach a web page, nor does the client).
    @Test(arguments: ["referrers-404-json", "referrers-303-429", "referrers-302-html", "referrers-404-html",
                      "referrers-false-200", "lying-subject"])
    func noAPIMeansTheTagSchema(personality: String) async throws {
        let proxy = try proxy([(personality, [:])])
        let client = RegistryWorld.plainClient()
        let repository = Repository(host: proxy.address, name: TestWorld.uniqueRepository("no-api"))
        let (subject, referrer) = try await subjectAndReferrer(client, repository)
        try await client.attachReferrers([referrer], to: subject.descriptor(), in: repository)
        #expect(try fallbackTagExists(repository, subject))
        let listed = try await RegistryWorld.plainClient().referrers(of: subject.digest, in: repository)
        #expect(listed.map(\.digest) == [referrer.digest])
        let stats = try proxy.proxy.stats()
        #expect(stats["web_with_auth", default: 0] + stats["web_without_auth", default: 0] == 0)
    }

    /// A working Referrers API (ECR, ACR, Quay, zot) lists the referrer by itself: no tag is
    /// written. One that lists manifests that do not name the subject is not believed.
    @Test func aWorkingAPIIsUsedAndALyingOneIsNot() async throws {
        let proxy = try proxy([("referrers-api", [:])])
        let client = RegistryWorld.plainClient()
        let repository = Repository(host: proxy.address, name: TestWorld.uniqueRepository("api"))
        let (subject, referrer) = try await subjectAndReferrer(client, repository)
        try await client.attachReferrers([referrer], to: subject.descriptor(), in: repository)
        #expect(try !fallbackTagExists(repository, subject))
        #expect(try await RegistryWorld.plainClient().referrers(of: subject.digest, in: repository).map(\.digest) == [referrer.digest])

        try proxy.proxy.personality("referrers-api", ["everything": "1"])
        let other = try await RegistryWorld.pushTinyImage(client, to: Reference(registry: repository.host, repository: repository.name, tag: "other"),
                                                         label: "other")
        #expect(other.digest != subject.digest)
        #expect(try await RegistryWorld.plainClient().referrers(of: other.digest, in: repository).isEmpty)
    }

    /// 150 tags: Quay's opaque next_page tokens (pages of 50), relative Links (RFC 3986), ACR
    /// ignoring n, distribution 3.1 refusing n above its maximum (asked again without n).
    @Test(arguments: [("tags-quay", [String: String](), 3), ("tags-relative", [:], 3), ("tags-ignore-n", ["size": "1000"], 1),
                      ("tags-max-n", ["max": "60"], 4)])
    func tagListsOfEveryShape(personality: String, parameters: [String: String], pages: Int) async throws {
        let repository = try await Self.manyTags
        let proxy = try proxy([(personality, parameters)])
        let size = personality == "tags-relative" ? 60 : 1000
        let tags = try await RegistryWorld.plainClient().listTags(Repository(host: proxy.address, name: repository), pageSize: size)
        #expect(tags == Self.tagNames)
        #expect(try proxy.proxy.stats()["tag_pages"] == pages)  // tags-max-n: the refused page, then 3
    }

    static let tagNames = (0..<150).map { String(format: "t%03d", $0) }

    /// A repository of the plain registry holding one image under 150 tags.
    static var manyTags: String {
        get async throws {
            let client = RegistryWorld.plainClient()
            let repository = TestWorld.uniqueRepository("many-tags")
            let image = try await RegistryWorld.pushTinyImage(client, to: Reference(registry: TestWorld.plain, repository: repository, tag: tagNames[0]))
            for tag in tagNames.dropFirst() {
                try await client.putManifest(image, to: Reference(registry: TestWorld.plain, repository: repository, tag: tag))
            }
            return repository
        }
    }

    /// `?tag=` (distribution-spec PR #600): the tags the registry echoes in OCI-Tag are applied,
    /// the others get a PUT of their own; a registry that echoes none gets one PUT per tag from
    /// then on.
    @Test func tagsInOnePutWhereTheRegistryTakesThem() async throws {
        let proxy = try proxy([("tag-echo", ["apply": "1"])])
        let client = RegistryWorld.plainClient()
        let repository = Repository(host: proxy.address, name: TestWorld.uniqueRepository("tag-echo"))
        let image = try await RegistryWorld.pushTinyImage(client, to: Reference(registry: repository.host, repository: repository.name, tag: "a"))
        try await client.putManifest(image, tags: ["b", "c", "d"], in: repository)
        for tag in ["b", "c", "d"] {
            #expect(try RegistryProbe.manifestStatus(repository.name, tag) == 200, "\(tag)")
        }
        let puts = try proxy.proxy.puts(matching: "\(repository.name)/manifests/")
        #expect(puts.filter { $0.contains("?tag=b&tag=c&tag=d") }.count == 1)
        #expect(puts.filter { $0.hasSuffix("/manifests/c") || $0.hasSuffix("/manifests/d") }.count == 2)
        #expect(!puts.contains { $0.hasSuffix("/manifests/b") })

        let plain = Repository(host: TestWorld.plain, name: TestWorld.uniqueRepository("no-tag-query"))
        let ignoring = RegistryWorld.plainClient()
        let first = try await RegistryWorld.pushTinyImage(ignoring, to: Reference(registry: plain.host, repository: plain.name, tag: "x"))
        try await ignoring.putManifest(first, tags: ["y", "z"], in: plain)
        try await ignoring.putManifest(first, tags: ["v", "w"], in: plain)
        let listed = try await ignoring.listTags(plain)
        #expect(listed.sorted() == ["v", "w", "x", "y", "z"])
        #expect(ignoring.withLock { ignoring.ignoresTagQuery.contains(plain.host) })
    }
}
