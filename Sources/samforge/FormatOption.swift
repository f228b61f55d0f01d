import ArgumentParser
import Assembly
import OCI

/// `--format oci|v2s2`, for every command that writes images (`copy`, `append`, `build`).
struct FormatOption: ParsableArguments {
    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("Write manifests as OCI or Docker schema2 (blobs keep their digests; default: as they are).", valueName: "oci|v2s2"))
    var format: String?

    /// The format asked for; checked before any traffic.
    func parsed() throws -> ManifestFormat? {
        guard let format else { return nil }
        guard let parsed = ManifestFormat(rawValue: format.lowercased()) else {
            throw UsageError("--format takes oci or v2s2 (got \"\(format)\")")
        }
        return parsed
    }
}

extension TransferProgress {
    /// Docker schema2 manifests kept in an OCI layout: valid for samforge, crane, regctl and
    /// containerd, but skopeo 1.9 and umoci read OCI media types only; one line says how to
    /// convert.
    func noteFlavour(_ target: ImageTarget, _ published: PublicationResult) {
        guard case .ociLayout = target.location, MediaType.isDocker(published.mediaType) else { return }
        note("\(target.destination.description): Docker schema2 manifests kept as they are (umoci and skopeo 1.9 read OCI ones only: --format oci converts)")
    }
}
