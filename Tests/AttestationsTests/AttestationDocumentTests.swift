import Foundation
import OCI
import Testing
import TestSupport
@testable import Attestations

/// The documents as pure functions of a build record: valid for pyspdxtools, the same bytes
/// for the same record, and nothing in them that a record does not say.
@Suite struct AttestationDocumentTests {
    static let image = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.of(Array("image".utf8)), size: 1234)

    static func record(files: [BuildRecord.File] = [BuildRecord.File(path: "/opt/b", sha256: String(repeating: "b", count: 64), sha1: String(repeating: "1", count: 40), size: 3),
                                                     BuildRecord.File(path: "/opt/a", sha256: String(repeating: "a", count: 64), sha1: String(repeating: "2", count: 40), size: 5)]) -> BuildRecord {
        BuildRecord(
            subject: .init(name: "registry.example.com/team/plugin", tag: "1.0", manifest: image), platform: .linuxAMD64,
            inputs: [
                .init(kind: .baseImage, role: "base image", location: "public.ecr.aws/sam/build-python3.12:1.143.0", repository: "public.ecr.aws/sam/build-python3.12",
                      tag: "1.143.0", digest: Digest.of(Array("base".utf8))),
                .init(kind: .download, role: "go-template", location: "https://example.com/go-template?…", digest: Digest.of(Array("gt".utf8))),
            ],
            files: files, created: "2024-01-01T00:00:00Z", recipe: "sam-plugin", parameters: ["version": "1.0"])
    }

    @Test func theSBOMValidatesWithPyspdxtools() throws {
        let path = try TemporaryDirectory().path + "/sbom.spdx.json"
        try Data(try SPDXDocument.encode(Self.record())).write(to: URL(fileURLWithPath: path))
        let result = try Command.run("pyspdxtools", ["-i", path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test func sameRecordSameBytesAndFilesSorted() throws {
        let first = try SPDXDocument.encode(Self.record())
        #expect(first == (try SPDXDocument.encode(Self.record())))
        #expect(try ProvenanceStatement.encode(Self.record()) == (try ProvenanceStatement.encode(Self.record())))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(first)) as? [String: Any])
        let names = (document["files"] as? [[String: Any]])?.compactMap { $0["fileName"] as? String }
        #expect(names == ["./opt/a", "./opt/b"])
        #expect((document["documentNamespace"] as? String)?.hasSuffix("sha256-" + Self.image.digest.hex) == true)
    }

    @Test func anotherImageAnotherNamespace() throws {
        var other = Self.record()
        other.subject.manifest = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.of(Array("other".utf8)), size: 1)
        #expect(try SPDXDocument.encode(other) != (try SPDXDocument.encode(Self.record())))
    }

    @Test(arguments: [
        ("public.ecr.aws/sam/build-python3.12", "1.143.0", "pkg:oci/build-python3.12@sha256%3A"),
        (nil as String?, nil as String?, "pkg:oci/fallback@sha256%3A"),
    ])
    func imagePackageURLs(_ repository: String?, _ tag: String?, _ prefix: String) {
        let purl = PackageURL.image(repository: repository, name: "fallback", digest: Self.image.digest, tag: tag)
        #expect(purl.hasPrefix(prefix + Self.image.digest.hex))
        if let repository { #expect(purl.contains("repository_url=" + repository)) }
        if let tag { #expect(purl.contains("tag=" + tag)) }
    }

    @Test func aReferrerNamesItsSubjectAndCarriesTheDocument() throws {
        let document = try SPDXDocument.encode(Self.record())
        let artifact = try ReferrerArtifact(document: document, mediaType: SPDXDocument.mediaType, title: "sbom.spdx.json",
                                            subject: Self.image, created: "2024-01-01T00:00:00Z")
        let manifest = try artifact.manifest.decodeManifest()
        #expect(manifest.artifactType == SPDXDocument.mediaType)
        #expect(manifest.subject?.digest == Self.image.digest)
        #expect(manifest.config.digest == Digest.of(Array("{}".utf8)) && manifest.config.mediaType == "application/vnd.oci.empty.v1+json")
        #expect(manifest.layers.map(\.digest) == [Digest.of(document)])
        #expect(artifact.descriptor.artifactType == SPDXDocument.mediaType)
        #expect(Set(artifact.blobs.keys) == [manifest.config.digest, Digest.of(document)])
    }
}
