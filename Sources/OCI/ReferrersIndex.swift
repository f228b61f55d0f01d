/// The referrers tag schema (OCI distribution 1.1 §"Referrers tag schema"), for registries
/// without the Referrers API: an image index tagged `sha256-<hex of the subject>` listing the
/// referrers, updated by read-modify-write with existing entries kept.
public enum ReferrersIndex {
    public static func tag(for subject: Digest) -> String { "sha256-" + subject.hex }

    /// `existing` (nil when the tag does not exist yet) with `added` merged in by digest.
    public static func merged(_ existing: RawManifest?, adding added: [Descriptor]) throws -> RawManifest {
        var entries = try existing.map { try $0.decodeIndex().manifests } ?? []
        for descriptor in added where !entries.contains(where: { $0.digest == descriptor.digest }) {
            entries.append(descriptor)
        }
        return try RawManifest.encoding(ImageIndex(mediaType: MediaType.ociIndex, manifests: entries), mediaType: MediaType.ociIndex)
    }
}
