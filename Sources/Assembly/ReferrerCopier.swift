import OCI
import Streams

/// `copy`'s attachments: for every manifest the copy wrote, the source's referrers of it (an
/// SBOM, a provenance statement, a signature; and theirs, two levels deep) and its cosign
/// `sha256-HEX.sig|.att|.sbom` tags, written byte for byte (digests intact) and linked the
/// destination's own way (Referrers API or tag schema, layout entries). A manifest `--format`
/// rewrote has another digest, which its referrers do not name: they are left out, with a note.
public struct CopiedReferrers: Attester {
    public let source: ImageSource
    public let depth: Int
    let note: (@Sendable (String) -> Void)?

    public init(source: ImageSource, depth: Int = 2, note: (@Sendable (String) -> Void)? = nil) {
        self.source = source
        self.depth = depth
        self.note = note
    }

    public func attachments(for content: WriteReport, at destination: ImageDestination,
                            earlier: [PublishedAttachment]) async throws -> [Attachment] {
        var attachments: [Attachment] = []
        var leftOut = 0
        for (sourceDigest, subject) in content.manifests {
            let found = try await collect(of: sourceDigest, subject: subject, depth: depth)
            if sourceDigest == subject.digest { attachments += found } else { leftOut += found.count }
        }
        if leftOut > 0 { note?("referrers: \(leftOut) not copied (--format rewrote the manifests they refer to)") }
        return attachments
    }

    /// The referrers and cosign tags of `digest` at the source, as attachments to `subject`;
    /// each referrer before its own referrers (a registry may want the subject there first).
    func collect(of digest: Digest, subject: Descriptor, depth: Int) async throws -> [Attachment] {
        guard depth > 0 else { return [] }
        var attachments: [Attachment] = []
        for referrer in try await source.referrers(of: digest) {
            attachments.append(Attachment(artifact: PinnedSource(base: source, digest: referrer.digest),
                                          link: .referrer(subject: subject), kind: referrer.artifactType ?? "referrer"))
            let written = Descriptor(mediaType: referrer.mediaType, digest: referrer.digest, size: referrer.size)
            attachments += try await collect(of: referrer.digest, subject: written, depth: depth - 1)
        }
        for tagged in try await source.cosignTags(of: digest) {
            let suffix = tagged.tag.split(separator: ".").last.map(String.init) ?? "sig"
            attachments.append(Attachment(artifact: tagged.source, link: .tag(ReferrersIndex.tag(for: subject.digest) + "." + suffix, subject: subject),
                                          kind: "cosign ." + suffix))
        }
        return attachments
    }
}

/// The manifest `digest` of a source as the root of its own image: a referrer to copy, or an
/// input taken at the digest a lock file pins, whatever its tag names now.
public struct PinnedSource: ImageSource {
    public let base: ImageSource
    public let digest: Digest
    public init(base: ImageSource, digest: Digest) {
        self.base = base
        self.digest = digest
    }
    public var description: String { "\(base.description)@\(digest)" }
    public func rootManifest() async throws -> RawManifest { try await base.manifest(digest) }
    public func manifest(_ digest: Digest) async throws -> RawManifest { try await base.manifest(digest) }
    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws { try await base.fetchBlob(descriptor, into: sink) }
    public func mountOrigin(of descriptor: Descriptor) -> MountOrigin? { base.mountOrigin(of: descriptor) }
    public func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? { try base.localBlob(descriptor) }
    public func referrers(of digest: Digest) async throws -> [Descriptor] { try await base.referrers(of: digest) }
    public func cosignTags(of digest: Digest) async throws -> [TaggedArtifact] { try await base.cosignTags(of: digest) }
}
