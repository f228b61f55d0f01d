import Foundation
import OCI
import Testing
import TestSupport
@testable import Signing

/// The artifacts as values: where each is found, the append rule of cosign's tags, the
/// referrer's shape, and the same inputs giving the same bytes.
@Suite struct ArtifactTests {
    static let key = try! SigningKey.generate()
    static let subject = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.of(Array("image".utf8)), size: 512)

    @Test func aLegacySignatureIsTheSigTagAndAppendsToTheExistingImage() throws {
        let signer = ImageSigner(key: Self.key)
        let first = try #require(try signer.legacySignature(of: Self.subject.digest, repository: "r.example/app", existing: nil))
        #expect(first.placement == .tag("sha256-\(Self.subject.digest.hex).sig"))
        // Another key signs too: its layer is appended, the first kept as it was.
        let other = ImageSigner(key: try SigningKey.generate())
        let second = try #require(try other.legacySignature(of: Self.subject.digest, repository: "r.example/app", existing: first.manifest))
        let layers = try second.manifest.decodeManifest().layers
        #expect(layers.count == 2)
        #expect(layers[0] == (try first.manifest.decodeManifest().layers[0]))
        #expect(layers.allSatisfy { $0.mediaType == SimpleSigning.mediaType && $0.annotations?[CosignAnnotation.signature] != nil })
        // The config lists both layers, as go-containerregistry's append writes it.
        let config = try second.manifest.decodeManifest().config
        let configBytes = try #require(second.blobs[config.digest])
        #expect(configBytes == ArtifactBuilder.configBlob(diffIDs: layers.map(\.digest.description)))
        // Signing again with the same key changes nothing (cosign's duplicate check).
        #expect(try signer.legacySignature(of: Self.subject.digest, repository: "r.example/app", existing: first.manifest) == nil)
        #expect(try other.legacySignature(of: Self.subject.digest, repository: "r.example/app", existing: second.manifest) == nil)
    }

    @Test func aLegacyAttestationIsTheAttTagOfDSSELayers() throws {
        let signer = ImageSigner(key: Self.key)
        let statement = Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://spdx.dev/Document","predicate":{}}"#.utf8)
        let first = try #require(try signer.legacyAttestation(statement, predicateType: "https://spdx.dev/Document", of: Self.subject.digest, existing: nil))
        #expect(first.placement == .tag("sha256-\(Self.subject.digest.hex).att"))
        let layer = try #require(try first.manifest.decodeManifest().layers.first)
        #expect(layer.mediaType == DSSEEnvelope.mediaType)
        #expect(layer.annotations == [CosignAnnotation.signature: "", CosignAnnotation.predicateType: "https://spdx.dev/Document"])
        let envelope = try DSSEEnvelope(parsing: try #require(first.blobs[layer.digest]))
        #expect(envelope.payload == statement && envelope.payloadType == InTotoStatement.payloadType && envelope.isSigned(by: Self.key.publicKey))
        // Another statement appends; the same one again, read back, is already there.
        let provenance = Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}"#.utf8)
        let second = try #require(try signer.legacyAttestation(provenance, predicateType: "https://slsa.dev/provenance/v1", of: Self.subject.digest, existing: first.manifest))
        #expect(try second.manifest.decodeManifest().layers.count == 2)
        #expect(try signer.legacyAttestation(statement, predicateType: "https://spdx.dev/Document", of: Self.subject.digest,
                                             existing: second.manifest, existingBlobs: first.blobs) == nil)
    }

    @Test(arguments: [nil, "https://slsa.dev/provenance/v1"] as [String?])
    func aBundleIsAReferrerAsCosignWritesIt(predicateType: String?) throws {
        let signer = ImageSigner(key: Self.key)
        let artifact = try predicateType.map {
            try signer.bundleAttestation(Array("{}".utf8), predicateType: $0, subject: Self.subject, created: "2024-05-01T00:00:00Z")
        } ?? signer.bundleSignature(of: Self.subject, created: "2024-05-01T00:00:00Z")
        #expect(artifact.placement == .referrer(subject: Self.subject))
        let manifest = try artifact.manifest.decodeManifest()
        #expect(manifest.artifactType == SigstoreBundle.mediaType)
        #expect(manifest.config.mediaType == "application/vnd.oci.empty.v1+json")
        #expect(manifest.config.digest.description == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        #expect(manifest.subject == Self.subject)
        #expect(manifest.annotations == ["org.opencontainers.image.created": "2024-05-01T00:00:00Z",
                                         "dev.sigstore.bundle.content": "dsse-envelope",
                                         "dev.sigstore.bundle.predicateType": predicateType ?? InTotoStatement.cosignSignPredicate])
        let layer = try #require(manifest.layers.first)
        #expect(manifest.layers.count == 1 && layer.mediaType == SigstoreBundle.mediaType)
        let bundle = try SigstoreBundle(parsing: try #require(artifact.blobs[layer.digest]))
        #expect(bundle.publicKeyHint == Self.key.publicKey.hint)
        #expect(bundle.envelope.isSigned(by: Self.key.publicKey))
        if predicateType == nil { #expect(bundle.envelope.payload == InTotoStatement.cosignSignature(of: Self.subject.digest)) }
        #expect(artifact.descriptor.artifactType == SigstoreBundle.mediaType)
        #expect(artifact.descriptor.annotations == manifest.annotations)
    }

    /// Go's escaping: what cosign would write for a hostile repository name.
    @Test func payloadsEscapeAsGoDoes() throws {
        let payload = SimpleSigning.payload(repository: "a<b>&\"\\\n\u{2028}", digest: Self.subject.digest)
        let text = String(decoding: payload, as: UTF8.self)
        #expect(text.contains(#""docker-reference":"a\u003cb\u003e\u0026\"\\\n\u2028""#))
        #expect(try SimpleSigning.claimedDigest(payload) == Self.subject.digest.description)
    }
}
