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

    /// Member name of a blob (config, layer, manifest), as Docker 25 and later save it: the
    /// OCI layout path `blobs/sha256/<hex>`; loaders sniff a layer's compression themselves.
    static func memberName(for digest: Digest) -> String {
        OCILayout.blobDirectoryName + "/" + digest.hex
    }

    /// The layout's index.json inside the archive: the manifest once per RepoTag, named as
    /// Docker saves it (`io.containerd.image.name` the full reference, the ref name its tag),
    /// or once unnamed.
    static func index(of manifest: RawManifest, names: [String]) throws -> [UInt8] {
        let entries: [Descriptor] = names.isEmpty ? [manifest.descriptor()] : names.map { name in
            var descriptor = manifest.descriptor()
            var annotations = [containerdNameAnnotation: name]
            if let reference = try? Reference(parsing: name) {
                annotations[containerdNameAnnotation] = reference.description
                if let tag = reference.tag { annotations[OCILayout.refNameAnnotation] = tag }
            }
            descriptor.annotations = annotations
            return descriptor
        }
        return try CanonicalJSON.encode(ImageIndex(mediaType: MediaType.ociIndex, manifests: entries))
    }

    static let containerdNameAnnotation = "io.containerd.image.name"

    /// The legacy `repositories` file: name → tag → top layer ID.
    static func repositories(_ repoTags: [String], topLayer: Digest?) -> [String: [String: String]] {
        var repositories: [String: [String: String]] = [:]
        guard let topLayer else { return repositories }
        for repoTag in repoTags {
            guard let colon = repoTag.lastIndex(of: ":") else { continue }
            repositories[String(repoTag[..<colon]), default: [:]][String(repoTag[repoTag.index(after: colon)...])] = topLayer.hex
        }
        return repositories
    }

    /// The name `docker images` shows (`alpine:3.20`, `ghcr.io/o/r:1`); nil for a digest-only
    /// reference, which cannot be a RepoTag.
    public static func repoTag(_ reference: Reference) -> String? {
        guard let tag = reference.tag else { return nil }
        return familiarName(reference) + ":" + tag
    }

    /// The RepoTag an archive gets when nothing names its image: the file's name without its
    /// extension, as a repository (`out/app.tar` → `app:latest`; `image:latest` if nothing is left).
    public static func defaultRepoTag(forFile file: String) -> String {
        let base = (file.split(separator: "/").last.map(String.init) ?? file).split(separator: ".", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var name = String(base.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
        while name.hasPrefix("-") { name.removeFirst() }
        while name.hasSuffix("-") { name.removeLast() }
        return (name.isEmpty || (try? Reference(parsing: name)) == nil ? "image" : name) + ":latest"
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
