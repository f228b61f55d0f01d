import ArgumentParser
import Assembly
import Foundation
import OCI
import Signing

/// `samforge sign --key KEY LOCATION`: signs an image that exists, as `cosign sign --key`.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign an existing image with a cosign key, as cosign sign does.",
        usage: "samforge sign [<options>] --key <cosign.key> <location>",
        discussion: """
        LOCATION is a registry reference or oci:DIR[:TAG]; the digest it names is signed \
        (for a multi-platform tag, the index; with --recursive each platform's image too).
        Both of cosign's formats are written unless --signature-format says otherwise: the \
        sha256-HEX.sig tag, appended to the signatures already there, and a Sigstore bundle \
        referrer.
        The key is cosign.key (its password from COSIGN_PASSWORD, else a prompt on a \
        terminal), a plain PKCS #8 or EC PRIVATE KEY, or env://VAR for a key held in an \
        environment variable; ECDSA P-256 only for now.
        Nothing is uploaded but the signatures, and no tag moves.
        Examples:
          COSIGN_PASSWORD="$SECRET" samforge sign --key cosign.key \\
              registry.example.com/team/app:1
          samforge sign --key env://SIGNING_KEY --recursive oci:./layout:1
        """
    )

    @Option(help: ArgumentHelp("The private key (cosign.key), or env://VAR.", valueName: "cosign.key")) var key: String?
    @Argument(help: "The image to sign.") var location: String
    @Flag(help: "Also sign each platform's image of an index.") var recursive = false
    @Option(name: .customLong("signature-format"), help: ArgumentHelp("cosign's formats to write: legacy (.sig tag), bundle (referrer) or both.", valueName: "legacy|bundle|both"))
    var format: String = SignatureFormats.both.rawValue
    @Flag(name: .shortAndLong, help: "No progress lines on stderr.") var quiet = false
    @OptionGroup var registry: RegistryFlags

    func run() async throws {
        // Checked here, not by the parser, so an unknown option is what a typo reports first.
        guard let key else { throw UsageError("sign needs --key cosign.key (the private key, or env://VAR)") }
        let parsed = try ImageLocation(parsing: location)
        if case .dockerArchive = parsed {
            throw UsageError("a docker archive keeps no signatures: sign the image where it was pushed, or in an oci: layout")
        }
        guard let formats = SignatureFormats(rawValue: format) else {
            throw UsageError("--signature-format must be legacy, bundle or both (got \(escapedForMessage(format)))")
        }
        let client = registry.makeClient(pushTargets: parsed.registryReference.map { [$0] } ?? [])
        let source = try parsed.openSource(client: client)
        let target = try parsed.openTarget(client: client)
        let signer = ImageSigner(key: try SigningOptions.load(key))
        let progress = TransferProgress(quiet: quiet)
        defer { progress.end() }
        let context = RunContext(client: client, jobs: 4, onEvent: progress.event)
        // The image is written as it is (every blob is there already: a few HEADs), then the
        // signatures; a layout keeps its name, a registry's tags are left alone.
        let names: [String]
        if case .registry = parsed { names = [] } else { names = target.names }
        let attester = SigningAttester(signer: signer, formats: formats, repository: target.reference(name: nil),
                                       created: Self.now(), recursive: recursive)
        let publication = Publication(image: source, names: names, attesters: [attester], expecting: nil)
        let result = try await Publisher(context: context, label: "sign \(parsed)").publish(publication, to: target.destination)
        var subjects: [String] = [], written: [String: Set<String>] = [:]
        for attachment in result.attachments {
            let subject = "\(attachment.subject.digest)"
            let format = attachment.descriptor.artifactType == SigstoreBundle.mediaType ? "bundle" : "legacy"
            if !subjects.contains(subject) { subjects.append(subject) }
            written[subject, default: []].insert(format)
            Output.line("\(parsed)@\(subject): \(format) signature \(attachment.descriptor.digest)")
        }
        if result.attachments.isEmpty { Output.line("\(parsed)@\(result.digest): already signed with this key") }
        // A format this key's signature was found in already is said, not left out silently.
        let asked = formats == .both ? ["legacy", "bundle"] : [formats.rawValue]
        for subject in subjects {
            for format in asked where written[subject]?.contains(format) != true {
                Output.line("\(parsed)@\(subject): \(format) signature already there (already signed with this key)")
            }
        }
    }

    /// The bundle referrers' created time: SOURCE_DATE_EPOCH when set (reproducible), else now.
    static func now() -> String {
        let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(TimeInterval.init) ?? Date().timeIntervalSince1970
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: epoch.rounded(.down)))
    }
}
