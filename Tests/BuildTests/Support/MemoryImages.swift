import Foundation
import Layers
import OCI
import Streams
import TestSupport
@testable import Assembly

/// Images held in memory (real gzip layers from LayerWriter, configs and manifests as JSON),
/// so the plan runner's tests need no registry.
enum MemoryImage {
    /// One platform's image: a layer holding `/etc/arch` = the architecture.
    static func image(architecture: String, variant: String? = nil, in directory: String) throws -> (manifest: RawManifest, blobs: [Digest: [UInt8]]) {
        var writer = LayerWriter()
        try writer.add(.bytes("/etc/arch", Array("\(architecture)\n".utf8)))
        let written = try writer.write(into: BlobCache(root: directory + "/cache-\(architecture)"))
        let layerBytes = Array(try Data(contentsOf: URL(fileURLWithPath: written.path)))
        let config = Array("""
        {"architecture":"\(architecture)","os":"linux"\(variant.map { ",\"variant\":\"\($0)\"" } ?? ""),"created":"2024-01-01T00:00:00Z",\
        "config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["\(written.diffID)"]},"history":[{"created_by":"base"}]}
        """.utf8)
        let configDigest = Digest.of(config)
        let manifest = Array("""
        {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)",\
        "config":{"mediaType":"\(MediaType.ociConfig)","digest":"\(configDigest)","size":\(config.count)},\
        "layers":[{"mediaType":"\(MediaType.ociLayerGzip)","digest":"\(written.digest)","size":\(written.size)}]}
        """.utf8)
        return (try RawManifest(bytes: manifest), [configDigest: config, written.digest: layerBytes])
    }

    /// An index: linux/amd64, linux/arm64/v8, linux/s390x and an attestation entry
    /// (unknown/unknown, as buildx writes), with an annotation to keep.
    static func index(in directory: String) throws -> MemoryImageSource {
        let platforms: [(String, String?)] = [("amd64", nil), ("arm64", "v8"), ("s390x", nil)]
        var children: [RawManifest] = []
        var blobs: [Digest: [UInt8]] = [:]
        var entries: [String] = []
        for (architecture, variant) in platforms {
            let image = try image(architecture: architecture, variant: variant, in: directory)
            children.append(image.manifest)
            blobs.merge(image.blobs) { first, _ in first }
            entries.append("""
            {"mediaType":"\(MediaType.ociManifest)","digest":"\(image.manifest.digest)","size":\(image.manifest.bytes.count),\
            "platform":{"os":"linux","architecture":"\(architecture)"\(variant.map { ",\"variant\":\"\($0)\"" } ?? "")},\
            "annotations":{"example.test/arch":"\(architecture)"}}
            """)
        }
        let attestation = children[0]
        entries.append("""
        {"mediaType":"\(MediaType.ociManifest)","digest":"\(attestation.digest)","size":\(attestation.bytes.count),\
        "platform":{"os":"unknown","architecture":"unknown"}}
        """)
        let index = Array("""
        {"schemaVersion":2,"mediaType":"\(MediaType.ociIndex)","annotations":{"example.test/index":"kept"},"manifests":[\(entries.joined(separator: ","))]}
        """.utf8)
        return MemoryImageSource(manifest: try RawManifest(bytes: index), manifests: children, blobs: blobs, description: "memory:index")
    }
}
