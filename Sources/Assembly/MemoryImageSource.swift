import OCI
import Streams

/// An image whose manifests and blobs are small and in memory: an artifact samforge makes (an
/// SBOM or provenance referrer) on its way through the one writer, or a test's image. A blob
/// too large to keep (the SBOM of a large copy) can come from a local file instead.
public struct MemoryImageSource: ImageSource {
    let manifest: RawManifest
    let children: [Digest: RawManifest]
    let blobs: [Digest: [UInt8]]
    let files: [Digest: String]
    public let description: String

    /// - Parameter manifests: an index's children, by digest.
    /// - Parameter files: blobs in local files, by digest (read and verified when written).
    public init(manifest: RawManifest, manifests: [RawManifest] = [], blobs: [Digest: [UInt8]], files: [Digest: String] = [:],
                description: String) {
        self.manifest = manifest
        children = Dictionary(manifests.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
        self.blobs = blobs
        self.files = files
        self.description = description
    }

    public func rootManifest() async throws -> RawManifest { manifest }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        guard let child = children[digest] else { throw AssemblyError.notFound("\(description): no manifest \(digest)") }
        return child
    }

    /// On a thread of its own, as every source: the sink may be a pipe that blocks.
    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        if let path = files[descriptor.digest] {
            return try await BlockingWork.run {
                try LocalBlob.stream(path: path, expected: descriptor, into: sink, what: "\(description): blob \(descriptor.digest.short) (\(path))")
            }
        }
        guard let bytes = blobs[descriptor.digest] else { throw AssemblyError.notFound("\(description): no blob \(descriptor.digest)") }
        _ = try await BlockingWork.run { try MemorySource(bytes).pump(to: sink) }
    }

    public func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? {
        if let path = files[descriptor.digest] { return try FileSource(path: path) }
        return blobs[descriptor.digest].map { MemorySource($0) }
    }
}
