import OCI
import Streams

/// `copy` carries referrers: for every manifest a copy wrote, the source's referrers of it (an
/// SBOM, a provenance statement, a signature; and theirs, two levels deep) and its cosign
/// `sha256-HEX.sig|.att|.sbom` tags are written too, digests intact, and attached in the
/// destination's own way (Referrers API or tag schema, layout entries).
public struct ReferrerCopier: Sendable {
    public let source: ImageSource
    public let destination: ImageDestination
    public let options: WriteOptions

    public init(source: ImageSource, destination: ImageDestination, options: WriteOptions) {
        self.source = source
        self.destination = destination
        self.options = options
    }

    /// Returns how many artifacts were written.
    public func copy(for manifests: [(source: Digest, written: Descriptor)], depth: Int = 2) async throws -> Int {
        guard destination.referrersSupport != .none, depth > 0 else { return 0 }
        var count = 0
        for (sourceDigest, subject) in manifests {
            let referrers = try await source.referrers(of: sourceDigest)
            var written: [Descriptor] = []
            for referrer in referrers {
                let artifact = PinnedSource(base: source, digest: referrer.digest)
                let report = try await ImageWriter(source: artifact, destination: destination, options: options).write(names: [])
                var descriptor = referrer
                descriptor.digest = report.digest
                written.append(descriptor)
                count += 1 + (try await copy(for: [(referrer.digest, report.manifests[0].written)], depth: depth - 1))
            }
            if !written.isEmpty { try await destination.attachReferrers(written, to: subject) }
            for tagged in try await source.cosignTags(of: sourceDigest) {
                _ = try await ImageWriter(source: tagged.source, destination: destination, options: options)
                    .write(names: [ReferrersIndex.tag(for: subject.digest) + "." + (tagged.tag.split(separator: ".").last.map(String.init) ?? "sig")])
                count += 1
            }
        }
        return count
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
}
