import Foundation
import Testing
@testable import OCI

/// `--format` conversions as pure functions: media types swapped, blobs untouched, bytes kept
/// when nothing changes, and what a format cannot hold refused.
struct ManifestFormatTests {
    static let layer = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
    static let config = "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"

    static func manifest(type: String?, config: String, layers: [String], extra: String = "") throws -> RawManifest {
        let typeField = type.map { "\"mediaType\":\"\($0)\"," } ?? ""
        let layerList = layers.map { "{\"mediaType\":\"\($0)\",\"digest\":\"\(layer)\",\"size\":10}" }.joined(separator: ",")
        let json = "{\"schemaVersion\":2,\(typeField)\"config\":{\"mediaType\":\"\(config)\",\"digest\":\"\(Self.config)\",\"size\":5},\"layers\":[\(layerList)]\(extra)}"
        return try RawManifest(bytes: Array(json.utf8))
    }

    static func layerTypes(_ raw: RawManifest) throws -> [String] { try raw.decodeManifest().layers.map(\.mediaType) }

    @Test func dockerToOCIAndBack() throws {
        let docker = try Self.manifest(type: MediaType.dockerManifest, config: MediaType.dockerConfig,
                                       layers: [MediaType.dockerLayerGzip, MediaType.dockerForeignLayerGzip])
        let oci = try ManifestFormat.oci.convert(manifest: docker)
        #expect(oci.mediaType == MediaType.ociManifest)
        #expect(try oci.decodeManifest().config.mediaType == MediaType.ociConfig)
        #expect(try Self.layerTypes(oci) == [MediaType.ociLayerGzip, MediaType.ociLayerNondistributableGzip])
        #expect(try oci.decodeManifest().layers.map(\.digest.description) == [Self.layer, Self.layer])
        #expect(oci.digest != docker.digest)

        let back = try ManifestFormat.v2s2.convert(manifest: oci)
        #expect(back.mediaType == MediaType.dockerManifest)
        #expect(try back.decodeManifest().config == docker.decodeManifest().config)
        #expect(try back.decodeManifest().layers == docker.decodeManifest().layers)
    }

    @Test("a manifest already in the format keeps its exact bytes", arguments: [
        (ManifestFormat.oci, MediaType.ociManifest as String?, MediaType.ociConfig, MediaType.ociLayerZstd),
        (.oci, nil, MediaType.ociConfig, MediaType.ociLayerGzip),  // OCI lets mediaType be absent
        (.v2s2, MediaType.dockerManifest, MediaType.dockerConfig, MediaType.dockerLayerGzip),
    ])
    func unchangedKeepsBytes(format: ManifestFormat, type: String?, config: String, layer: String) throws {
        let raw = try Self.manifest(type: type, config: config, layers: [layer])
        let converted = try format.convert(manifest: raw)
        #expect(converted.bytes == raw.bytes)
        #expect(converted.digest == raw.digest)
    }

    @Test("what Docker schema2 cannot hold is refused", arguments: [
        (MediaType.ociLayerZstd, "", "media type application/vnd.oci.image.layer.v1.tar+zstd"),
        ("application/vnd.in-toto+json", "", "media type application/vnd.in-toto+json"),
        (MediaType.ociLayerGzip, ",\"artifactType\":\"application/example\"", "is an OCI artifact"),
    ])
    func v2s2Refuses(layer: String, extra: String, message: String) throws {
        let raw = try Self.manifest(type: MediaType.ociManifest, config: MediaType.ociConfig, layers: [layer], extra: extra)
        #expect { try ManifestFormat.v2s2.convert(manifest: raw) } throws: { error in
            (error as? ManifestFormat.ConversionError)?.message.contains(message) == true
        }
    }

    @Test func v2s2DropsAnnotations() throws {
        let raw = try Self.manifest(type: MediaType.ociManifest, config: MediaType.ociConfig, layers: [MediaType.ociLayerGzip],
                                    extra: ",\"annotations\":{\"org.opencontainers.image.created\":\"2025\"}")
        let converted = try ManifestFormat.v2s2.convert(manifest: raw)
        #expect(try converted.decodeManifest().annotations == nil)
        #expect(!String(decoding: converted.bytes, as: UTF8.self).contains("annotations"))
    }

    @Test func indexNamesItsConvertedChildrenAndKeepsPlatforms() throws {
        let child = try Self.manifest(type: MediaType.dockerManifest, config: MediaType.dockerConfig, layers: [MediaType.dockerLayerGzip])
        let list = try RawManifest(bytes: Array("""
        {"schemaVersion":2,"mediaType":"\(MediaType.dockerManifestList)","manifests":[{"mediaType":"\(MediaType.dockerManifest)","digest":"\(child.digest)","size":\(child.bytes.count),"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}
        """.utf8))
        let convertedChild = try ManifestFormat.oci.convert(manifest: child)
        let index = try ManifestFormat.oci.convert(index: list, children: [child.digest: convertedChild])
        #expect(index.mediaType == MediaType.ociIndex)
        let entry = try #require(try index.decodeIndex().manifests.first)
        #expect(entry.digest == convertedChild.digest)
        #expect(entry.size == Int64(convertedChild.bytes.count))
        #expect(entry.mediaType == MediaType.ociManifest)
        #expect(entry.platform == Platform(os: "linux", architecture: "arm64", variant: "v8"))
        // A child left out is an error, not a dangling reference.
        #expect(throws: ManifestFormat.ConversionError.self) { try ManifestFormat.oci.convert(index: list, children: [:]) }
    }
}
