import ArgumentParser
import Assembly
import Foundation
import OCI
import Signing

/// `samforge verify --key PUB LOCATION`: cosign's key-based verification, offline, in both of
/// cosign's formats.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that an image is signed with a key, as cosign verify does.",
        usage: "samforge verify [<options>] --key <cosign.pub> <location>",
        discussion: """
        LOCATION is a registry reference or oci:DIR[:TAG]; its digest (an index's own, for \
        a multi-platform tag) is what the signature must name.
        Both of cosign's formats are read: the sha256-HEX.sig tag of cosign 2 and the \
        Sigstore bundle referrers of cosign 3.
        It succeeds when a signature by the key verifies over its exact payload and names \
        the digest, and prints each one with its format and the place it was found in.
        Otherwise it exits 1 with one line: unsigned, signed with another key, tampered, or a \
        signature of another digest.
        Key-based and offline, as cosign verify --key K --insecure-ignore-tlog: no \
        transparency log is consulted.
        Only ECDSA P-256 keys are supported for now (cosign's default).
        With --attestation TYPE it checks a signed attestation of that predicate type \
        (cosign verify-attestation): a URI or one of cosign's names, such as slsaprovenance1 \
        or spdxjson.
        Examples:
          samforge verify --key cosign.pub registry.example.com/team/app:1
          samforge verify --key cosign.pub --attestation https://spdx.dev/Document \\
              --json oci:./layout:1
        """
    )

    @Option(help: ArgumentHelp("The public key (PEM, as cosign.pub).", valueName: "cosign.pub")) var key: String?
    @Argument(help: "The signed image.") var location: String
    @Option(help: ArgumentHelp("Check a signed attestation of this predicate type.", valueName: "type"))
    var attestation: String?
    @Flag(help: "Print what verified as JSON, with any statement.") var json = false
    @OptionGroup var registry: RegistryFlags

    func run() async throws {
        // Checked here, not by the parser, so an unknown option is what a typo reports first.
        guard let key else { throw UsageError("verify needs --key cosign.pub (the public key to check the signatures with)") }
        let parsed = try ImageLocation(parsing: location)
        if case .dockerArchive = parsed {
            throw UsageError("a docker archive holds no signatures: verify the image where it was pushed, or copy it to oci:DIR with its signatures")
        }
        let predicateType = try attestation.map { name -> String in
            guard let uri = PredicateTypes.resolve(name) else {
                throw UsageError("--attestation \(escapedForMessage(name)) is neither a URI nor one of cosign's names (\(PredicateTypes.shortNames.keys.sorted().joined(separator: ", ")))")
            }
            return uri
        }
        let publicKey = try VerifyingKey(pem: try Self.readKey(key), what: key)
        let source = try parsed.openSource(client: registry.makeClient())
        let result = try await step(parsed.description) { () async throws -> [VerifiedSignature] in
            let digest = try await source.rootManifest().digest
            let evidence = try await SignatureEvidence.read(source, digest: digest)
            let verifier = SignatureVerifier(key: publicKey, keyName: key)
            let outcome = predicateType.map { verifier.verifyAttestations(of: digest, predicateType: $0, in: evidence) }
                ?? verifier.verifySignatures(of: digest, in: evidence)
            return try outcome.get()
        }
        if json { try Output.json(result); return }
        for signature in result {
            let what = predicateType.map { "\($0) attestation" } ?? "signature"
            Output.line("\(parsed.description)@\(signature.digest): \(signature.format.rawValue) \(what) by \(escapedForMessage(key)) verified (\(signature.location))")
        }
    }

    /// A public key file, small and readable, else one line (exit 2).
    static func readKey(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("cannot read the key \(escapedForMessage(path)): no such file or not readable")
        }
        guard data.count <= 64 << 10 else { throw UsageError("\(escapedForMessage(path)) is too large to be a public key") }
        return Array(data)
    }
}
