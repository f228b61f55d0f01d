import OCI
import Streams

/// Something images are read from: a registry repository, an OCI layout, a docker archive, an
/// image being built. Blobs are fetched lazily and streamed (crane's v1.Image idea: every
/// source is interchangeable with every destination).
public protocol ImageSource: Sendable {
    /// What the location names: an index or a manifest, exact bytes.
    func rootManifest() async throws -> RawManifest
    /// A child manifest of an index, by digest (verified).
    func manifest(_ digest: Digest) async throws -> RawManifest
    /// Streams a blob into `sink`, verifying its digest before it returns.
    func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws
    /// The registry repository a destination on the same registry can mount this blob from
    /// (no bytes move), if any. Per blob: an image being built mounts its base's layers from
    /// the base's repository, and its new layers from nowhere.
    func mountOrigin(of descriptor: Descriptor) -> MountOrigin?
    /// The blob as a local stream that can be rewound (a cache file, a layout's blob, a config
    /// in memory), when it is on this machine; nil when it must be fetched. Not verified: the
    /// destination hashes what it reads.
    func localBlob(_ descriptor: Descriptor) throws -> RewindableSource?
    /// The OCI 1.1 referrers of the manifest `digest` this source keeps (the Referrers API or
    /// the referrers tag schema of a registry, a layout's index); [] when it keeps none.
    func referrers(of digest: Digest) async throws -> [Descriptor]
    /// Artifacts of `digest` tagged the cosign way (`sha256-HEX.sig`, `.att`, `.sbom`).
    func cosignTags(of digest: Digest) async throws -> [TaggedArtifact]
    var description: String { get }
}

public extension ImageSource {
    func mountOrigin(of descriptor: Descriptor) -> MountOrigin? { nil }
    func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? { nil }
    func referrers(of digest: Digest) async throws -> [Descriptor] { [] }
    func cosignTags(of digest: Digest) async throws -> [TaggedArtifact] { [] }

    /// A small blob (a config) in memory, capped.
    func smallBlob(_ descriptor: Descriptor, limit: Int = 16 << 20) async throws -> [UInt8] {
        guard descriptor.size <= Int64(limit) else {
            throw AssemblyError.tooLarge(what: "blob \(descriptor.digest)", size: descriptor.size, limit: limit)
        }
        let collector = CollectingSink(limit: limit)
        try await fetchBlob(descriptor, into: collector)
        return collector.bytes
    }
}

/// Something images are written to. Blobs first, manifests after the blobs they name, the
/// root manifest last under its names; `commit` makes the result visible (index.json, the
/// archive's manifest.json) so a failure never leaves a half-written image named.
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

    func hasBlob(_ descriptor: Descriptor) async throws -> Bool
    /// `verifiedBeforeEnd`: the source checks the digest before it delivers the last byte, so
    /// the destination need not hash again (see `FinalByteHoldback`).
    func putBlob(_ descriptor: Descriptor, from source: ByteSource, verifiedBeforeEnd: Bool) async throws
    /// Links a blob from another repository of the same registry; false when the registry
    /// would not (the caller then uploads it).
    func mountBlob(_ descriptor: Descriptor, from origin: MountOrigin) async throws -> Bool
    func hasManifest(_ digest: Digest) async throws -> Bool
    /// Puts a manifest by digest (children of an index).
    func putManifest(_ manifest: RawManifest) async throws
    /// Puts the root manifest under each of `names` (tags, layout ref names, archive RepoTags),
    /// or by digest alone when there are none.
    func putRootManifest(_ manifest: RawManifest, names: [String]) async throws
    /// Finishes writing (layout index, archive trailer); a no-op for registries.
    func commit() async throws
    /// Discards what a failed write left behind (a partial archive); the writer calls it on error.
    func abort() async
    /// How referrers (SBOMs, provenance, signatures) can be found from their subject here.
    var referrersSupport: ReferrersSupport { get }
    /// Makes `referrers`, already written by digest, findable from `subject`.
    func attachReferrers(_ referrers: [Descriptor], to subject: Descriptor) async throws
}

public extension ImageDestination {
    var mountTarget: MountOrigin? { nil }
    var requiresSinglePlatform: Bool { false }
    func mountBlob(_ descriptor: Descriptor, from origin: MountOrigin) async throws -> Bool { false }
    func abort() async {}
    var referrersSupport: ReferrersSupport { .none }
    func attachReferrers(_ referrers: [Descriptor], to subject: Descriptor) async throws {
        throw AssemblyError.unsupported("\(description) keeps no referrers")
    }
}

/// Where a destination keeps the referrers of an image.
public enum ReferrersSupport: Sendable, Equatable {
    /// A registry: its Referrers API when it has one, else the referrers tag schema.
    case registry
    /// A layout: the artifacts are entries of index.json.
    case layoutIndex
    /// A docker archive: no place for them.
    case none
}

/// An artifact a tag names (a cosign signature), with a source to read it from.
public struct TaggedArtifact: Sendable {
    public let tag: String
    public let source: ImageSource
    public init(tag: String, source: ImageSource) {
        self.tag = tag
        self.source = source
    }
}

/// A registry repository blobs can be mounted from or into (host with port, repository name).
public struct MountOrigin: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let repository: String
    public init(host: String, repository: String) {
        self.host = host
        self.repository = repository
    }
    public var description: String { "\(host)/\(repository)" }
}

public enum AssemblyError: KindedError, Sendable {
    case tooLarge(what: String, size: Int64, limit: Int)
    case invalidImage(String)
    case notFound(String)
    case unsupported(String)
    /// A location or option the user gave that cannot work (exit 2).
    case usage(String)

    public var kind: ErrorKind {
        switch self {
        case .tooLarge, .invalidImage: return .corrupt
        case .notFound: return .notFound
        case .unsupported: return .unsupported
        case .usage: return .usage
        }
    }

    public var description: String {
        switch self {
        case .tooLarge(let what, let size, let limit): return "\(what) is \(size) bytes, more than the \(limit)-byte limit"
        case .invalidImage(let message), .notFound(let message), .unsupported(let message), .usage(let message): return message
        }
    }
}
