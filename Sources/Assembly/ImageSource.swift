import OCI
import Streams

/// Something images are read from: a registry repository, an OCI layout, a docker archive.
/// Blobs are fetched lazily and streamed (crane's v1.Image idea: every source is
/// interchangeable with every sink).
public protocol ImageSource: Sendable {
    /// What the location names: an index or a manifest, exact bytes.
    func rootManifest() async throws -> RawManifest
    /// A child manifest of an index, by digest (verified).
    func manifest(_ digest: Digest) async throws -> RawManifest
    /// Streams a blob into `sink`, verifying its digest.
    func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws
    /// The registry repository behind this source, when it is one (enables cross-repo mounts).
    var repository: RegistryRepositoryInfo? { get }
    var description: String { get }
}

public extension ImageSource {
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
/// root (tagged) manifest last; `commit` makes the result visible (index.json, the archive's
/// manifest.json) so a failure never leaves a half-written image named.
public protocol ImageDestination: Sendable {
    func hasBlob(_ descriptor: Descriptor) async throws -> Bool
    func putBlob(_ descriptor: Descriptor, from source: ByteSource) async throws
    func hasManifest(_ digest: Digest) async throws -> Bool
    /// Puts a manifest by digest (children of an index).
    func putManifest(_ manifest: RawManifest) async throws
    /// Puts the root manifest under the destination's tag (or by digest when it has none).
    func putRootManifest(_ manifest: RawManifest) async throws
    /// Finishes writing (layout index, archive trailer); a no-op for registries.
    func commit() async throws
    var repository: RegistryRepositoryInfo? { get }
    /// How many blob writes may run at once (a tar archive takes one at a time).
    var maxConcurrentBlobWrites: Int { get }
    /// True when the destination holds one platform's image only (a docker archive): the copier
    /// then picks one child of an index instead of copying it whole.
    var requiresSinglePlatform: Bool { get }
    /// Discards what a failed copy left behind (a partial archive); the copier calls it on error.
    func abort() async
    var description: String { get }
}

public extension ImageDestination {
    var requiresSinglePlatform: Bool { false }
    func abort() async {}
}

/// Identifies a registry repository for mount decisions without importing the client here.
public struct RegistryRepositoryInfo: Sendable, Hashable {
    public let host: String
    public let name: String
    public init(host: String, name: String) {
        self.host = host
        self.name = name
    }
}

public enum AssemblyError: Error, Sendable, CustomStringConvertible {
    case tooLarge(what: String, size: Int64, limit: Int)
    case invalidImage(String)
    case notFound(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .tooLarge(let what, let size, let limit): return "\(what) is \(size) bytes, more than the \(limit)-byte limit"
        case .invalidImage(let message), .notFound(let message), .unsupported(let message): return message
        }
    }
}
