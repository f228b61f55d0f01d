import OCI

/// What `inspect` reports about an image: the root (index or manifest), the single-platform
/// manifest described, its config and layers.
public struct ImageInspection: Sendable {
    public let root: RawManifest
    public let index: ImageIndex?
    public let manifest: RawManifest
    public let image: ImageManifest
    public let configBytes: [UInt8]
    public let config: ImageConfig

    /// Reads the root, picks `platform` (default linux/amd64, else the only child) from an
    /// index, and fetches the config.
    public static func load(from source: ImageSource, platform: Platform?) async throws -> ImageInspection {
        let root = try await source.rootManifest()
        var index: ImageIndex?
        let manifest: RawManifest
        if root.isIndex {
            let decoded: ImageIndex
            do { decoded = try root.decodeIndex() } catch { throw AssemblyError.invalidImage("\(source.description): unreadable index") }
            index = decoded
            let wanted = platform ?? .linuxAMD64
            let chosen = decoded.child(for: wanted) ?? (platform == nil && decoded.manifests.count == 1 ? decoded.manifests.first : nil)
            guard let chosen else {
                throw AssemblyError.notFound("\(source.description): no \(wanted) image in the index (available: \(platformList(decoded)))")
            }
            manifest = try await source.manifest(chosen.digest)
        } else {
            manifest = root
        }
        let image: ImageManifest
        do { image = try manifest.decodeManifest() } catch {
            throw AssemblyError.invalidImage("\(source.description): unreadable manifest \(manifest.digest.short)")
        }
        let configBytes = try await source.smallBlob(image.config)
        let config: ImageConfig
        do { config = try ImageConfig.decode(configBytes) } catch {
            throw AssemblyError.invalidImage("\(source.description): unreadable image config \(image.config.digest.short)")
        }
        if let platform, index == nil, let actual = config.platform, !actual.satisfies(platform) {
            throw AssemblyError.notFound("\(source.description): image is \(actual), not \(platform)")
        }
        return ImageInspection(root: root, index: index, manifest: manifest, image: image, configBytes: configBytes, config: config)
    }

    /// History entries that made layers, aligned with `image.layers` (empty_layer ones skipped).
    public var layerHistory: [ImageConfig.History?] {
        let entries = (config.history ?? []).filter { $0.empty_layer != true }
        return image.layers.indices.map { $0 < entries.count ? entries[$0] : nil }
    }
}
