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
