import Assembly
import Attestations
import Build
import OCI

/// What a build wrote. The CLI prints `finalReference` (last stdout line), the output-env
/// lines and, with `--json`, `report` (field names are a contract).
public struct SAMBuildResult: Sendable {
    public let target: TargetRepository
    /// Tags written: the primary one first, then the timestamped one if asked for.
    public let tags: [String]
    /// `TARGET_REPO:PRIMARY_TAG` (`oci:DIR:NAME`, `docker-archive:FILE:NAME` for local targets).
    public let finalImage: String
    public let runtime: String
    public let samVersion: String
    /// `YYYYMMDDhhmmss` (UTC) of the build: SOURCE_DATE_EPOCH when set, else now.
    public let timestamp: String
    public let created: String
    public let base: ResolvedImage
    public let layers: [NewLayer]
    /// What was written: content, attachments (the SBOM and provenance, unless
    /// `--no-attestations` or an archive), names.
    public let publication: PublicationResult
    /// Every input as resolved, for the lock file.
    public let inputs: [ResolvedInput]

    public var digest: Digest { publication.digest }
    public var mediaType: String { publication.mediaType }

    /// `TARGET_REPO:PRIMARY_TAG@sha256:…`
    public var finalReference: String { "\(finalImage)@\(digest)" }

    /// Harness/Drone output variables, one `KEY=VALUE` per line.
    public var outputEnvironment: [(key: String, value: String)] {
        [("FINAL_IMAGE", finalImage), ("IMAGE_DIGEST", digest.description), ("SAM_RUNTIME", runtime),
         ("SAM_VERSION", samVersion), ("TIMESTAMP", timestamp)]
    }

    public struct Report: Encodable, Sendable {
        public struct Layer: Encodable, Sendable { var digest: Digest; var diffID: Digest; var size: Int64; var createdBy: String? }
        public struct Base: Encodable, Sendable { var reference: String; var digest: Digest; var manifestDigest: Digest; var layers: Int }
        var finalImage: String
        var reference: String
        var imageDigest: Digest
        var mediaType: String
        var targetRepo: String
        var tags: [String]
        var samRuntime: String
        var samVersion: String
        var timestamp: String
        var created: String
        var base: Base
        var layers: [Layer]
        var sbom: Digest?
        var provenance: Digest?
    }

    /// The first attachment of `kind`, by digest.
    func attachment(_ kind: String) -> Digest? {
        publication.attachments.first { $0.kind == kind }?.descriptor.digest
    }

    public var report: Report {
        Report(finalImage: finalImage, reference: finalReference, imageDigest: digest, mediaType: mediaType,
               targetRepo: target.text, tags: tags, samRuntime: runtime, samVersion: samVersion,
               timestamp: timestamp, created: created,
               base: .init(reference: base.source.description, digest: base.root.digest, manifestDigest: base.manifest.digest, layers: base.image.layers.count),
               layers: layers.map { .init(digest: $0.digest, diffID: $0.diffID, size: $0.size, createdBy: $0.history.created_by) },
               sbom: attachment(BuildAttester.sbomKind), provenance: attachment(BuildAttester.provenanceKind))
    }
}
