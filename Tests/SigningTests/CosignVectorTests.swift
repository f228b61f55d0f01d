import Foundation
import OCI
import Testing
import TestSupport
@testable import Signing

/// Every format against bytes cosign itself made. The directory (`SAMFORGE_COSIGN_VECTORS`):
///
///     keys/*.key, keys/passwords.json   cosign's encrypted keys and their passwords (cosign's
///                                       keys_test.go, "hello"; sigstore-rs's cosign-generated
///                                       key, empty password)
///     kdf/{legacy,standard,owasp}.json  go-securesystemslib's encrypted documents at N = 2^15,
///                                       2^16, 2^17; kdf/password, kdf/plaintext
///     legacy-signature/                 a `cosign sign --key` (v3.0.4) .sig manifest, its payload,
///                                       cosign.pub, subject, repository
///     bundle-signature/                 a cosign v3.1.3 key-signed bundle, cosign.pub, subject
///     blob-attestations/                `cosign attest-blob` envelopes, cosign.pub, subject
///     keyless-attestation/              cosign's oci-attestation.sigstore.json (keyless), its
///                                       certificate's key, subject, predicate-type
@Suite(.enabled(if: CosignVectors.directory != nil, Comment(rawValue: CosignVectors.absent)))
struct CosignVectorTests {
    static let keys = ["cosign-pemcosignkey.key", "cosign-pemsigstorekey.key", "sigstore-rs-empty-password.key"]

    static func password(_ key: String) throws -> String {
        let passwords = try JSONSerialization.jsonObject(with: Data(try CosignVectors.bytes("keys/passwords.json"))) as? [String: String]
        return try #require(passwords?[key])
    }

    @Test(arguments: keys)
    func cosignKeysDecryptWithTheirPasswordsAndSign(key: String) throws {
        let path = try #require(CosignVectors.directory) + "/keys/" + key
        let password = try Self.password(key)
        let signing = try KeyFile.loadPrivate(path: path) { .text(password) }
        // The same public key the independent implementation derives.
        let python = try CosignPython.run(["decrypt-key", path], password: password)
        #expect(python.status == 0, "\(python.stderr)")
        #expect(String(decoding: signing.publicKey.pem, as: UTF8.self) == python.stdout)
        let message = Array("payload".utf8)
        #expect(signing.publicKey.verifies(try signing.sign(message), over: message))
    }

    @Test(arguments: keys)
    func aWrongPasswordIsOneLine(key: String) throws {
        let path = try #require(CosignVectors.directory) + "/keys/" + key
        #expect(throws: SigningError.wrongPassword("\(path): wrong password (COSIGN_PASSWORD does not open this key)")) {
            _ = try KeyFile.loadPrivate(path: path) { .text("not the password") }
        }
    }

    /// cosign's own test key holding SEC1 inside the box: it decrypts (N = 2^16), and is
    /// refused as cosign refuses it.
    @Test func anEncryptedSEC1KeyIsRefusedAsCosignRefusesIt() throws {
        let path = try #require(CosignVectors.directory) + "/keys/cosign-pemcosigneckey.key"
        #expect(throws: SigningError.badKey("\(path) does not hold a PKCS #8 private key (cosign keeps PKCS #8 inside its encrypted keys)")) {
            _ = try KeyFile.loadPrivate(path: path) { .text("hello") }
        }
    }

    @Test(arguments: ["legacy", "standard", "owasp"])
    func securesystemslibDocumentsOpenAtEveryStrength(level: String) throws {
        let document = try CosignVectors.bytes("kdf/\(level).json")
        let plaintext = try EncryptedKey.decrypt(document, password: .text(try CosignVectors.text("kdf/password")), what: level)
        #expect(plaintext.withUnsafeBytes { Array($0) } == (try CosignVectors.bytes("kdf/plaintext")))
    }

    static func legacyEvidence(manifest: [UInt8], payload: [UInt8]) throws -> SignatureEvidence {
        let raw = try RawManifest(bytes: manifest)
        return SignatureEvidence(signatureTag: .init(location: "tag x.sig", manifest: raw, blobs: [Digest.of(payload): payload]))
    }

    @Test func cosignsLegacySignatureVerifiesAndSamforgeWritesTheSameBytes() throws {
        let key = try KeyFile.loadPublic(path: try #require(CosignVectors.directory) + "/legacy-signature/cosign.pub")
        let subject = try Digest(try CosignVectors.text("legacy-signature/subject"))
        let manifest = try CosignVectors.bytes("legacy-signature/manifest.json"), payload = try CosignVectors.bytes("legacy-signature/payload.json")
        let verifier = SignatureVerifier(key: key, keyName: "cosign.pub")
        let verified = try verifier.verifySignatures(of: subject, in: try Self.legacyEvidence(manifest: manifest, payload: payload)).get()
        #expect(verified.map(\.format) == [.legacy])
        // The payload and the whole .sig manifest (config included) come out byte for byte.
        #expect(SimpleSigning.payload(repository: try CosignVectors.text("legacy-signature/repository"), digest: subject) == payload)
        let annotation = try #require(try RawManifest(bytes: manifest).decodeManifest().layers.first?.annotations)
        let rebuilt = try ArtifactBuilder.legacyImage(tag: CosignTag.signature(for: subject), layer: payload, mediaType: SimpleSigning.mediaType,
                                                      annotations: annotation, appendingTo: nil)
        #expect(rebuilt.manifest.bytes == manifest)
        // Another key, another digest.
        let other = try KeyFile.loadPublic(path: try #require(CosignVectors.directory) + "/bundle-signature/cosign.pub")
        guard case .failure(.wrongKey) = SignatureVerifier(key: other, keyName: "other.pub").verifySignatures(of: subject, in: try Self.legacyEvidence(manifest: manifest, payload: payload)) else {
            Issue.record("another key verified cosign's signature"); return
        }
        guard case .failure(.otherDigest) = verifier.verifySignatures(of: Digest.of(Array("x".utf8)), in: try Self.legacyEvidence(manifest: manifest, payload: payload)) else {
            Issue.record("a signature of another digest verified"); return
        }
    }

    @Test func cosignsBundleVerifiesAndSamforgeWritesTheSameStatementAndHint() throws {
        let key = try KeyFile.loadPublic(path: try #require(CosignVectors.directory) + "/bundle-signature/cosign.pub")
        let subject = try Digest(try CosignVectors.text("bundle-signature/subject"))
        let bytes = try CosignVectors.bytes("bundle-signature/bundle.json")
        let bundle = try SigstoreBundle(parsing: bytes)
        #expect(bundle.envelope.isSigned(by: key))
        #expect(bundle.publicKeyHint == key.hint)
        #expect(bundle.envelope.payload == InTotoStatement.cosignSignature(of: subject))
        let referrer = try ArtifactBuilder.bundleReferrer(bundle: bytes, predicateType: InTotoStatement.cosignSignPredicate,
                                                          subject: Descriptor(mediaType: MediaType.dockerManifest, digest: subject, size: 949), created: "2025-01-01T00:00:00Z")
        let evidence = SignatureEvidence(referrers: [.init(location: "referrer r", manifest: referrer.manifest, blobs: referrer.blobs)])
        let verified = try SignatureVerifier(key: key, keyName: "cosign.pub").verifySignatures(of: subject, in: evidence).get()
        #expect(verified.map(\.format) == [.bundle])
    }

    @Test func cosignsAttestBlobEnvelopesVerify() throws {
        let key = try KeyFile.loadPublic(path: try #require(CosignVectors.directory) + "/blob-attestations/cosign.pub")
        let subject = try Digest(try CosignVectors.text("blob-attestations/subject"))
        for (name, namesSubject) in [("blobSLSAProvenanceSignature", true), ("dssePredicateMultipleSubjects", true), ("dssePredicateMultipleSubjectsInvalid", false)] {
            let envelope = try DSSEEnvelope(parsing: try CosignVectors.bytes("blob-attestations/\(name).json"))
            #expect(envelope.isSigned(by: key), "\(name)")
            let statement = try InTotoStatement(parsing: envelope.payload)
            #expect(statement.names(subject) == namesSubject, "\(name)")
            #expect(statement.predicateType == "https://slsa.dev/provenance/v0.2")
        }
    }

    @Test func cosignsKeylessAttestationBundleParsesAndItsEnvelopeVerifies() throws {
        let key = try KeyFile.loadPublic(path: try #require(CosignVectors.directory) + "/keyless-attestation/certificate-key.pub")
        let subject = try Digest(try CosignVectors.text("keyless-attestation/subject"))
        let predicateType = try CosignVectors.text("keyless-attestation/predicate-type")
        let bytes = try CosignVectors.bytes("keyless-attestation/bundle.json")
        let referrer = try ArtifactBuilder.bundleReferrer(bundle: bytes, predicateType: predicateType,
                                                          subject: Descriptor(mediaType: MediaType.ociManifest, digest: subject, size: 1), created: "x")
        let evidence = SignatureEvidence(referrers: [.init(location: "referrer r", manifest: referrer.manifest, blobs: referrer.blobs)])
        let verifier = SignatureVerifier(key: key, keyName: "certificate key")
        let verified = try verifier.verifyAttestations(of: subject, predicateType: predicateType, in: evidence).get()
        #expect(verified.first?.statement?["predicateType"]?.stringValue == predicateType)
        // Not a signature (its predicate is the attestation's), so `verify` without
        // --attestation finds none.
        guard case .failure(.unsigned) = verifier.verifySignatures(of: subject, in: evidence) else {
            Issue.record("an attestation counted as a signature"); return
        }
    }
}
