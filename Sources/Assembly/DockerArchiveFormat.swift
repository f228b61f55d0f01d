import OCI

/// The `docker save` archive format: `manifest.json` lists images as
/// `[{"Config": "<file>", "RepoTags": ["name:tag"], "Layers": ["<file>", …]}]`, each file a
/// member of the tar; the legacy `repositories` file maps `name` → `tag` → top layer ID.
public enum DockerArchiveFormat {
    static let manifestFile = "manifest.json"
    static let repositoriesFile = "repositories"

    struct ImageEntry: Codable {
        var Config: String
        var RepoTags: [String]?
        var Layers: [String]
    }

    /// Member name of a blob: the config as `<hex>.json`; a layer as its blob, unchanged, named
    /// by its compression (`<hex>.tar.gz`, `<hex>.tar.zst`, `<hex>.tar`), which `docker load`
    /// sniffs and decompresses itself.
    static func memberName(for descriptor: Descriptor) -> String {
        let type = descriptor.mediaType
        if type.hasSuffix("json") || type == MediaType.dockerConfig || type == MediaType.ociConfig {
            return descriptor.digest.hex + ".json"
        }
        switch MediaType.layerCompression(type) {
        case .gzip: return descriptor.digest.hex + ".tar.gz"
        case .zstd: return descriptor.digest.hex + ".tar.zst"
        case .none: return descriptor.digest.hex + ".tar"
        }
    }

    /// The name `docker images` shows (`alpine:3.20`, `ghcr.io/o/r:1`); nil for a digest-only
    /// reference, which cannot be a RepoTag.
    public static func repoTag(_ reference: Reference) -> String? {
        guard let tag = reference.tag else { return nil }
        return familiarName(reference) + ":" + tag
    }

    static func familiarName(_ reference: Reference) -> String {
        guard reference.registry == Reference.dockerHub else { return reference.repositoryName }
        let library = "library/"
        return reference.repository.hasPrefix(library) ? String(reference.repository.dropFirst(library.count)) : reference.repository
    }

    /// Whether a RepoTag of an archive names `reference` (both normalized, so `alpine:3` matches
    /// `docker.io/library/alpine:3`).
    static func matches(_ repoTag: String, _ reference: Reference) -> Bool {
        guard let parsed = try? Reference(parsing: repoTag) else { return false }
        return parsed.registry == reference.registry && parsed.repository == reference.repository && parsed.tag == reference.tag
    }

    /// The magic numbers of a layer blob's first bytes.
    static func compression(ofPrefix prefix: [UInt8]) -> MediaType.Compression {
        if prefix.starts(with: [0x1f, 0x8b]) { return .gzip }
        if prefix.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        return .none
    }

    /// Media types for a manifest rebuilt from an archive: Docker schema2, unless a layer is
    /// zstd (Docker has no zstd layer type), then OCI throughout, so the flavour stays consistent.
    struct Flavour {
        let oci: Bool
        var manifestType: String { oci ? MediaType.ociManifest : MediaType.dockerManifest }
        var configType: String { oci ? MediaType.ociConfig : MediaType.dockerConfig }
        func layerType(_ compression: MediaType.Compression) -> String {
            switch (compression, oci) {
            case (.gzip, false): return MediaType.dockerLayerGzip
            case (.none, false): return "application/vnd.docker.image.rootfs.diff.tar"
            case (.gzip, true): return MediaType.ociLayerGzip
            case (.zstd, _): return MediaType.ociLayerZstd
            case (.none, true): return MediaType.ociLayer
            }
        }
    }
}
