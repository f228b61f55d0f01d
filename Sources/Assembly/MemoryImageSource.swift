import OCI
import Streams

/// An image whose manifests and blobs are small and in memory: an artifact samforge makes (an
/// SBOM or provenance referrer) on its way through the one writer, or a test's image.
public struct MemoryImageSource: ImageSource {
    let manifest: RawManifest
    let children: [Digest: RawManifest]
    let blobs: [Digest: [UInt8]]
    public let description: String

    /// - Parameter manifests: an index's children, by digest.
    public init(manifest: RawManifest, manifests: [RawManifest] = [], blobs: [Digest: [UInt8]], description: String) {
        self.manifest = manifest
        children = Dictionary(manifests.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
        self.blobs = blobs
        self.description = description
    }

    public func rootManifest() async throws -> RawManifest { manifest }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        guard let child = children[digest] else { throw AssemblyError.notFound("\(description): no manifest \(digest)") }
        return child
    }

    /// On a thread of its own, as every source: the sink may be a pipe that blocks.
    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        guard let bytes = blobs[descriptor.digest] else { throw AssemblyError.notFound("\(description): no blob \(descriptor.digest)") }
        _ = try await BlockingWork.run { try MemorySource(bytes).pump(to: sink) }
    }

    public func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? {
        blobs[descriptor.digest].map { MemorySource($0) }
    }
}
