import ArgumentParser
import Assembly
import Build
import Foundation
import OCI
import Signing

/// `--sign-key` and `--signature-format`, for `build` and `append`: every image written and
/// its SBOM and provenance signed, in cosign's formats.
struct SigningOptions: ParsableArguments {
    @Option(name: .customLong("sign-key"), help: ArgumentHelp("Sign the images, SBOM and provenance with this cosign key (a file or env://VAR).", valueName: "KEY"))
    var key: String?
    @Option(name: .customLong("signature-format"), help: ArgumentHelp("cosign's formats to write: legacy (.sig/.att tags), bundle (referrers) or both.", valueName: "legacy|bundle|both"))
    var format: String = SignatureFormats.both.rawValue

    /// The formats, checked before any traffic.
    func formats() throws -> SignatureFormats {
        guard let formats = SignatureFormats(rawValue: format) else {
            throw UsageError("--signature-format must be legacy, bundle or both (got \(escapedForMessage(format)))")
        }
        if key == nil && format != SignatureFormats.both.rawValue { throw UsageError("--signature-format needs --sign-key") }
        return formats
    }

    /// The key, loaded (and its password asked for) once, before any traffic; nil without
    /// --sign-key. A target that keeps no signatures (a docker archive) is refused first.
    func signer(for targets: [ImageTarget]) throws -> ImageSigner? {
        _ = try formats()
        guard let key else { return nil }
        for target in targets where target.destination.referrersSupport == .none {
            throw UsageError("--sign-key: \(target.location) keeps no signatures (a docker archive); write to a registry or an oci: layout")
        }
        return ImageSigner(key: try Self.load(key))
    }

    /// A key file, or `env://VAR` (cosign's syntax): the key's text in an environment variable,
    /// removed from samforge's environment once read so no program it starts inherits it.
    static func load(_ reference: String) throws -> SigningKey {
        let password = { try Password.read(confirm: false, purpose: "the signing key") }
        guard reference.hasPrefix("env://") else { return try KeyFile.loadPrivate(path: reference, password: password) }
        let variable = String(reference.dropFirst("env://".count))
        guard !variable.isEmpty, let value = getenv(variable), strlen(value) > 0 else {
            throw UsageError("--sign-key \(escapedForMessage(reference)): the environment variable \(escapedForMessage(variable)) is not set or empty")
        }
        let contents = SecretBytes(copying: UnsafeRawBufferPointer(start: value, count: strlen(value)))
        unsetenv(variable)
        return try KeyFile.loadPrivate(contents: contents, what: "the key in $\(variable)", password: password)
    }

    /// The attester that signs a build's or an append's images and attestations.
    static func attester(_ signer: ImageSigner, formats: SignatureFormats, mutation: Mutation, subjectName: String) -> Attester {
        SigningAttester(signer: signer, formats: formats, repository: subjectName,
                        created: mutation.platforms.first?.created ?? "1970-01-01T00:00:00Z",
                        attestedKinds: [BuildAttester.sbomKind: "https://spdx.dev/Document",
                                        BuildAttester.provenanceKind: "https://slsa.dev/provenance/v1"])
    }
}
