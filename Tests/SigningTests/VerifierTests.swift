import Foundation
import OCI
import Testing
import TestSupport
@testable import Signing

/// Each way a verification fails, in both formats, one distinct line each; and what verifies.
@Suite struct VerifierTests {
    static let key = try! SigningKey.generate()
    static let subject = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.of(Array("image".utf8)), size: 512)
    static let verifier = SignatureVerifier(key: key.publicKey, keyName: "cosign.pub")

    enum Format: String, CaseIterable { case legacy, bundle }

    /// The evidence a location would hold for one signature of `digest` by `key`.
    static func evidence(_ format: Format, key: SigningKey = key, digest: Digest = subject.digest,
                         alter: (inout [Digest: [UInt8]], SignatureArtifact) -> Void = { _, _ in }) throws -> SignatureEvidence {
        let signer = ImageSigner(key: key)
        let artifact: SignatureArtifact
        switch format {
        case .legacy: artifact = try #require(try signer.legacySignature(of: digest, repository: "r/app", existing: nil))
        case .bundle: artifact = try signer.bundleSignature(of: Descriptor(mediaType: subject.mediaType, digest: digest, size: 1), created: "t")
        }
        var blobs = artifact.blobs
        alter(&blobs, artifact)
        let item = SignatureEvidence.Artifact(location: "x", manifest: artifact.manifest, blobs: blobs)
        return format == .legacy ? SignatureEvidence(signatureTag: item) : SignatureEvidence(referrers: [item])
    }

    static func payloadLayer(_ artifact: SignatureArtifact) -> Digest {
        (try? artifact.manifest.decodeManifest().layers.first?.digest) ?? subject.digest
    }

    @Test(arguments: Format.allCases)
    func aSignatureByTheKeyVerifies(format: Format) throws {
        let verified = try Self.verifier.verifySignatures(of: Self.subject.digest, in: try Self.evidence(format)).get()
        #expect(verified.count == 1 && verified[0].format.rawValue == format.rawValue && verified[0].location == "x")
    }

    @Test func nothingAtAllIsUnsigned() {
        let result = Self.verifier.verifySignatures(of: Self.subject.digest, in: SignatureEvidence())
        #expect(result.failure == .unsigned("\(Self.subject.digest) has no cosign signature (no sha256-\(Self.subject.digest.hex).sig tag, no Sigstore bundle referrer)"))
    }

    @Test(arguments: Format.allCases)
    func anotherKeysSignatureIsWrongKey(format: Format) throws {
        let result = Self.verifier.verifySignatures(of: Self.subject.digest, in: try Self.evidence(format, key: try SigningKey.generate()))
        #expect(result.failure == .wrongKey("\(Self.subject.digest) has 1 cosign signature, none by cosign.pub: signed with another key (or altered after signing)"))
    }

    @Test(arguments: Format.allCases)
    func aSignatureOfAnotherDigestSaysSo(format: Format) throws {
        let other = Digest.of(Array("other".utf8))
        let result = Self.verifier.verifySignatures(of: Self.subject.digest, in: try Self.evidence(format, digest: other))
        guard case .otherDigest(let message)? = result.failure else { Issue.record("\(result)"); return }
        #expect(message.contains(other.description) && message.contains("not") && message.contains(Self.subject.digest.description), "\(message)")
    }

    /// A payload blob that is not what its descriptor says (edited in a layout, served wrong).
    @Test(arguments: Format.allCases)
    func aDamagedPayloadIsTampered(format: Format) throws {
        let evidence = try Self.evidence(format) { blobs, artifact in blobs[Self.payloadLayer(artifact)] = nil }
        guard case .tampered(let message)? = Self.verifier.verifySignatures(of: Self.subject.digest, in: evidence).failure else {
            Issue.record("not tampered"); return
        }
        #expect(message.contains("could not be read: the signature's payload was altered or removed"), "\(message)")
    }

    /// A bundle naming this key (its hint) whose payload was changed after signing.
    @Test func aBundleWhosePayloadChangedIsTampered() throws {
        let evidence = try Self.evidence(.bundle) { blobs, artifact in
            let digest = Self.payloadLayer(artifact)
            let text = String(decoding: blobs[digest]!, as: UTF8.self)
            let bundle = try! SigstoreBundle(parsing: blobs[digest]!)
            let forged = Array(String(decoding: bundle.envelope.payload, as: UTF8.self).replacingOccurrences(of: "\"predicate\":{}", with: "\"predicate\":{\"x\":1}").utf8)
            blobs[digest] = Array(text.replacingOccurrences(of: Data(bundle.envelope.payload).base64EncodedString(), with: Data(forged).base64EncodedString()).utf8)
        }
        #expect(Self.verifier.verifySignatures(of: Self.subject.digest, in: evidence).failure
                == .tampered("x: the bundle names cosign.pub as its key but its signature does not verify: the payload was altered after signing"))
    }

    /// One good signature among bad ones verifies, in either format.
    @Test func oneGoodSignatureAmongOthersIsEnough() throws {
        var evidence = try Self.evidence(.legacy, key: try SigningKey.generate())
        evidence.referrers = try Self.evidence(.bundle).referrers
        let verified = try Self.verifier.verifySignatures(of: Self.subject.digest, in: evidence).get()
        #expect(verified.map(\.format) == [.bundle])
    }

    @Test(arguments: Format.allCases)
    func attestationsVerifyByTypeAndOnlyByType(format: Format) throws {
        let signer = ImageSigner(key: Self.key)
        let statement = Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"\#(Self.subject.digest.hex)"}}],"predicateType":"https://spdx.dev/Document","predicate":{"spdxVersion":"SPDX-2.3"}}"#.utf8)
        let artifact = format == .legacy
            ? try #require(try signer.legacyAttestation(statement, predicateType: "https://spdx.dev/Document", of: Self.subject.digest, existing: nil))
            : try signer.bundleAttestation(statement, predicateType: "https://spdx.dev/Document", subject: Self.subject, created: "t")
        let item = SignatureEvidence.Artifact(location: "x", manifest: artifact.manifest, blobs: artifact.blobs)
        let evidence = format == .legacy ? SignatureEvidence(attestationTag: item) : SignatureEvidence(referrers: [item])
        let verified = try Self.verifier.verifyAttestations(of: Self.subject.digest, predicateType: "https://spdx.dev/Document", in: evidence).get()
        #expect(verified.first?.statement?["predicate"]?["spdxVersion"]?.stringValue == "SPDX-2.3")
        guard case .unsigned? = Self.verifier.verifyAttestations(of: Self.subject.digest, predicateType: "https://slsa.dev/provenance/v1", in: evidence).failure else {
            Issue.record("an attestation of another type verified"); return
        }
        guard case .unsigned? = Self.verifier.verifySignatures(of: Self.subject.digest, in: evidence).failure else {
            Issue.record("an attestation counted as a signature"); return
        }
    }

    @Test func predicateTypeNamesAreCosigns() {
        #expect(PredicateTypes.resolve("spdxjson") == "https://spdx.dev/Document")
        #expect(PredicateTypes.resolve("slsaprovenance1") == "https://slsa.dev/provenance/v1")
        #expect(PredicateTypes.resolve("https://example.com/x/v1") == "https://example.com/x/v1")
        #expect(PredicateTypes.resolve("nonsense") == nil)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let error) = self { return error } else { return nil } }
}
