import OCI
import Streams

/// An image whose manifest and blobs are small and in memory: an artifact samforge makes (an
/// SBOM or provenance referrer) on its way through the one writer.
public struct MemoryImageSource: ImageSource {
    let manifest: RawManifest
    let blobs: [Digest: [UInt8]]
    public let description: String

    public init(manifest: RawManifest, blobs: [Digest: [UInt8]], description: String) {
        self.manifest = manifest
        self.blobs = blobs
        self.description = description
    }

    public func rootManifest() async throws -> RawManifest { manifest }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        throw AssemblyError.notFound("\(description): no manifest \(digest)")
    }

    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        guard let bytes = blobs[descriptor.digest] else { throw AssemblyError.notFound("\(description): no blob \(descriptor.digest)") }
        try MemorySource(bytes).pump(to: sink)
    }

    public func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? {
        blobs[descriptor.digest].map { MemorySource($0) }
    }
}
