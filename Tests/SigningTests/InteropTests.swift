import Assembly
import Foundation
import OCI
import Testing
import TestSupport
@testable import Signing

/// samforge and an independent implementation of cosign's checks (scripts/cosign-verify.py)
/// agree, both ways, in both formats, in an OCI layout: what samforge signs verifies there, and
/// what it signs (as cosign does) verifies in samforge. The registries are covered by the
/// command-line tests.
@Suite struct InteropTests {
    static func statement(_ digest: Digest) -> [UInt8] {
        Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"\#(digest.hex)"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{}}}"#.utf8)
    }

    enum Kind: String, CaseIterable { case legacySignature, bundleSignature, legacyAttestation, bundleAttestation }

    @Test(arguments: Kind.allCases)
    func whatSamforgeSignsVerifiesInPython(kind: Kind) throws {
        let layout = try TestLayout()
        let key = try SigningKey.generate()
        let signer = ImageSigner(key: key)
        let digest = layout.subject.digest
        switch kind {
        case .legacySignature: try layout.add(try #require(try signer.legacySignature(of: digest, repository: "layout/app", existing: nil)))
        case .bundleSignature: try layout.add(try signer.bundleSignature(of: layout.subject, created: "2024-01-01T00:00:00Z"))
        case .legacyAttestation:
            try layout.add(try #require(try signer.legacyAttestation(Self.statement(digest), predicateType: "https://slsa.dev/provenance/v1", of: digest, existing: nil)))
        case .bundleAttestation:
            try layout.add(try signer.bundleAttestation(Self.statement(digest), predicateType: "https://slsa.dev/provenance/v1", subject: layout.subject, created: "t"))
        }
        let publicKey = try KeyTests.write(key.publicKey.pem, name: "cosign.pub")
        var arguments = ["verify", "--key", publicKey, "--digest", digest.description, "oci:" + layout.path]
        if kind == .legacyAttestation || kind == .bundleAttestation { arguments += ["--attestation", "https://slsa.dev/provenance/v1"] }
        let python = try CosignPython.run(arguments)
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdout.contains(kind.rawValue.hasPrefix("legacy") ? "\"legacy\"" : "\"bundle\""), "\(python.stdout)")
        // And the other key's verifier refuses it.
        let other = try KeyTests.write(try SigningKey.generate().publicKey.pem, name: "other.pub")
        #expect(try CosignPython.run(["verify", "--key", other] + arguments.dropFirst(3)).status == 1)
    }

    @Test(arguments: Kind.allCases)
    func whatPythonSignsVerifiesInSamforge(kind: Kind) async throws {
        let layout = try TestLayout()
        let directory = try TemporaryDirectory().path
        #expect(try CosignPython.run(["generate-key-pair", directory], password: "pw").status == 0)
        let digest = layout.subject.digest
        var arguments = ["sign", "--key", directory + "/cosign.key", "--digest", digest.description,
                         "--format", kind.rawValue.hasPrefix("legacy") ? "legacy" : "bundle",
                         "--subject-size", String(layout.subject.size), "oci:" + layout.path]
        let attestation = kind == .legacyAttestation || kind == .bundleAttestation
        if attestation {
            let statement = directory + "/statement.json"
            try Data(Self.statement(digest)).write(to: URL(fileURLWithPath: statement))
            arguments += ["--attestation", "https://slsa.dev/provenance/v1", "--statement", statement]
        }
        let signed = try CosignPython.run(arguments, password: "pw")
        #expect(signed.status == 0, "\(signed.stderr)")
        // A second signature appended to the same tag (legacy) or another referrer (bundle).
        #expect(try CosignPython.run(arguments, password: "pw").status == 0)

        let source = OCILayoutSource(directory: layout.path, name: "app:1")
        let evidence = try await SignatureEvidence.read(source, digest: digest)
        let verifier = SignatureVerifier(key: try KeyFile.loadPublic(path: directory + "/cosign.pub"), keyName: "cosign.pub")
        let verified = try (attestation ? verifier.verifyAttestations(of: digest, predicateType: "https://slsa.dev/provenance/v1", in: evidence)
                                        : verifier.verifySignatures(of: digest, in: evidence)).get()
        #expect(verified.count == 2, "\(verified)")
        #expect(verified.allSatisfy { $0.format == (kind.rawValue.hasPrefix("legacy") ? .legacy : .bundle) })
    }
}
