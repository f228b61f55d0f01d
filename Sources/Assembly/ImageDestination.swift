import OCI
import Streams

/// Something images are written to, in the four steps a `Publisher` runs in this order
/// (go-containerregistry's `remote.Write` before `remote.Tag`, `layout.WriteImage` before
/// `AppendDescriptor`):
/// 1. **content**: blobs, child manifests and the root manifest, all by digest, nothing named;
/// 2. **attach**: artifacts (SBOMs, provenance, signatures), already written as content, made
///    findable from their subject;
/// 3. **name**: the root under its names (tags, layout ref names, archive RepoTags);
/// 4. **commit**: what makes it all visible where that is an act of its own (a layout's
///    index.json, an archive renamed into place), or **abort**, which leaves nothing new behind.
/// A destination object serves one publication: a layout or an archive keeps what it was told
/// to attach and name until `commit`.
public protocol ImageDestination: Sendable {
    var description: String { get }
    /// Where blobs land: two writes of one run to the same identity share each blob's transfer.
    var identity: String { get }
    /// The registry repository this destination is, when blobs can be mounted into it.
    var mountTarget: MountOrigin? { get }
    /// How many blob writes may run at once (a tar archive takes one at a time).
    var maxConcurrentBlobWrites: Int { get }
    /// True when the destination holds one platform's image only (a docker archive): the
    /// writer then picks one child of an index instead of writing it whole.
    var requiresSinglePlatform: Bool { get }

    // MARK: content

    func hasBlob(_ descriptor: Descriptor) async throws -> Bool
    /// `verifiedBeforeEnd`: the source checks the digest before it delivers the last byte, so
    /// the destination need not hash again (see `FinalByteHoldback`).
    func putBlob(_ descriptor: Descriptor, from source: ByteSource, verifiedBeforeEnd: Bool) async throws
    /// Links a blob from another repository of the same registry; false when the registry
    /// would not (the caller then uploads it).
    func mountBlob(_ descriptor: Descriptor, from origin: MountOrigin) async throws -> Bool
    /// Gives up what a refused mount left for the blob's upload (a registry's upload session)
    /// when no upload took it: the blob was mounted after all, or its transfer failed.
    func discardMountLeftovers(_ descriptor: Descriptor) async
    func hasManifest(_ digest: Digest) async throws -> Bool
    /// Puts a manifest by digest (an index's children, the root, an artifact), unnamed.
    func putManifest(_ manifest: RawManifest) async throws

    // MARK: attach

    /// How artifacts can be found from their subject here.
    var referrersSupport: ReferrersSupport { get }
    /// Makes `referrers`, already written by digest, findable from `subject` (the Referrers
    /// API or the `sha256-HEX` tag schema of a registry, a layout's index entries).
    func attach(referrers: [Descriptor], to subject: Descriptor) async throws
    /// Names an artifact, already written by digest, with a tag beside its subject (cosign's
    /// `sha256-HEX.sig`, `.att`).
    func attach(_ artifact: RawManifest, tag: String) async throws
    /// The manifest a tag beside an image names today (a `.sig` to add a signature to).
    func taggedManifest(_ tag: String) async throws -> RawManifest?
    /// What the destination already holds, read as a source (existing signatures, compared
    /// before one is added again); nil where nothing can be read back (an archive being written).
    var existing: ImageSource? { get }

    // MARK: name, commit, abort

    /// Names the root, already written by digest: each of `names` (tags, layout ref names,
    /// archive RepoTags); none leaves it reachable by digest (a layout lists it unnamed).
    func name(_ root: RawManifest, as names: [String]) async throws
    /// Makes the publication visible (layout index, archive trailer); a no-op for registries.
    func commit() async throws
    /// Discards what a failed publication left behind: a layout or archive it created is
    /// removed, an existing layout's index.json stays byte for byte, upload sessions are gone.
    func abort() async
}

public extension ImageDestination {
    var mountTarget: MountOrigin? { nil }
    var requiresSinglePlatform: Bool { false }
    func mountBlob(_ descriptor: Descriptor, from origin: MountOrigin) async throws -> Bool { false }
    func discardMountLeftovers(_ descriptor: Descriptor) async {}
    var referrersSupport: ReferrersSupport { .none }
    func attach(referrers: [Descriptor], to subject: Descriptor) async throws {
        throw AssemblyError.unsupported("\(description) keeps no referrers")
    }
    func attach(_ artifact: RawManifest, tag: String) async throws {
        throw AssemblyError.unsupported("\(description) keeps no tagged artifacts")
    }
    func taggedManifest(_ tag: String) async throws -> RawManifest? { nil }
    var existing: ImageSource? { nil }
    func commit() async throws {}
    func abort() async {}
}

/// Where a destination keeps the artifacts of an image.
public enum ReferrersSupport: Sendable, Equatable {
    /// A registry: its Referrers API when it has one, else the referrers tag schema.
    case registry
    /// A layout: the artifacts are entries of index.json.
    case layoutIndex
    /// A docker archive: no place for them.
    case none
}
