import OCI
import Streams

/// The empty image (Dockerfile's `FROM scratch`): an OCI manifest with no layers and a config
/// naming only the platform. A base like any other, so an image can be built from nothing
/// through the same path as one built on a SAM base.
public struct ScratchImage: ImageSource {
    public let platform: Platform
    let manifest: RawManifest
    let config: [UInt8]

    public init(platform: Platform) throws {
        self.platform = platform
        var document: [String: JSONValue] = [
            "architecture": .string(platform.architecture), "os": .string(platform.os),
            "rootfs": .object(["type": .string("layers"), "diff_ids": .array([])]),
        ]
        if let variant = platform.variant { document["variant"] = .string(variant) }
        config = try CanonicalJSON.encode(JSONValue.object(document))
        let descriptor = Descriptor(mediaType: MediaType.ociConfig, digest: Digest.of(config), size: Int64(config.count))
        let image = ImageManifest(mediaType: MediaType.ociManifest, config: descriptor, layers: [])
        manifest = try RawManifest.encoding(image, mediaType: MediaType.ociManifest)
    }

    public var description: String { "scratch" }
    public func rootManifest() async throws -> RawManifest { manifest }

    /// Its own manifest by digest too: a lock file pins `scratch` like any base.
    public func manifest(_ digest: Digest) async throws -> RawManifest {
        guard digest == manifest.digest else { throw AssemblyError.notFound("scratch: no manifest \(digest)") }
        return manifest
    }

    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        guard descriptor.digest == Digest.of(config) else { throw AssemblyError.notFound("scratch: no blob \(descriptor.digest)") }
        _ = try await BlockingWork.run { [config] in try MemorySource(config).pump(to: sink) }
    }

    public func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? {
        descriptor.digest == Digest.of(config) ? MemorySource(config) : nil
    }
}
