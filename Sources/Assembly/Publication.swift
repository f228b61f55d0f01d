import OCI

/// An image to publish: its content, what to attach to it, and the names it goes by. `copy`,
/// `append`, `build` and each matrix entry are one publication each.
public struct Publication: Sendable {
    public var image: ImageSource
    /// Tags, layout ref names or archive RepoTags (none: reachable by digest only).
    public var names: [String]
    /// What produces the attachments (a source's referrers, an SBOM and provenance, signatures).
    public var attesters: [Attester]
    /// The digest a registry target pins (`REPO@sha256:…`): another image is refused up front.
    public var expecting: Digest?
    /// One platform of an index (`--platform`).
    public var platform: Platform?
    /// Manifests rewritten (`--format`); attachments are always written byte for byte.
    public var format: ManifestFormat?

    public init(image: ImageSource, names: [String], attesters: [Attester] = [], expecting: Digest? = nil,
                platform: Platform? = nil, format: ManifestFormat? = nil) {
        self.image = image
        self.names = names
        self.attesters = attesters
        self.expecting = expecting
        self.platform = platform
        self.format = format
    }
}

/// Something published with an image and found from it: an artifact (an SBOM, a provenance
/// statement, a signature, a referrer copied along) written as content, then linked.
public struct Attachment: Sendable {
    public enum Link: Sendable, Equatable {
        /// An OCI 1.1 referrer of `subject` (its manifest names the subject).
        case referrer(subject: Descriptor)
        /// A tag beside the image, cosign's way (`sha256-HEX.sig`, `.att`, `.sbom`).
        case tag(String, subject: Descriptor)

        public var subject: Descriptor {
            switch self {
            case .referrer(let subject), .tag(_, let subject): return subject
            }
        }
    }

    /// The artifact as an image: its root manifest is what gets linked.
    public let artifact: ImageSource
    public let link: Link
    /// What it is in a line of output: `sbom`, `provenance`, `signature`, an artifact type.
    public let kind: String

    public init(artifact: ImageSource, link: Link, kind: String) {
        self.artifact = artifact
        self.link = link
        self.kind = kind
    }
}

/// Makes the attachments of an image once its content is written (so they can name the
/// digests the destination really has). Attesters run in order and see what the earlier ones
/// attached (a signer signs the SBOM too).
public protocol Attester: Sendable {
    /// The attachments, in the order they are written: an artifact before any attachment whose
    /// subject it is.
    func attachments(for content: WriteReport, at destination: ImageDestination,
                     earlier: [PublishedAttachment]) async throws -> [Attachment]
}

/// An attachment as written: its descriptor as a referrers list shows it.
public struct PublishedAttachment: Sendable {
    public let attachment: Attachment
    /// Digest, size, `artifactType` and annotations of the artifact's manifest.
    public let descriptor: Descriptor
    public var kind: String { attachment.kind }
    public var subject: Descriptor { attachment.link.subject }
}

/// What a publication did: the content written, the attachments, the names.
public struct PublicationResult: Sendable {
    public let content: WriteReport
    public let attachments: [PublishedAttachment]
    public let names: [String]
    public var digest: Digest { content.digest }
    public var mediaType: String { content.mediaType }
}
