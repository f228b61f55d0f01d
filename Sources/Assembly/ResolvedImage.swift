import OCI

/// One platform's image, read from any source: what the reference named (index or manifest,
/// exact bytes), the chosen manifest, and its config (exact bytes and typed view). `build`
/// resolves bases and plugin images through it, `inspect` everything it shows.
public struct ResolvedImage: Sendable {
    public let source: ImageSource
    /// What the reference named: an index or the manifest itself.
    public let root: RawManifest
    /// The root decoded, when it is an index.
    public let index: ImageIndex?
    public let manifest: RawManifest
    public let image: ImageManifest
    public let configBytes: [UInt8]
    public let config: ImageConfig

    /// Docker schema2 (true) or OCI (false): new layers and the config follow the base's flavour.
    public var isDockerFlavour: Bool { image.isDockerFlavour }

    /// Strict resolution for building on an image: the index's child for `platform`, and the
    /// config must agree with it (an index entry can lie about what it points at, and a single
    /// manifest says nothing about its platform at all).
    public static func resolve(_ source: ImageSource, platform: Platform) async throws -> ResolvedImage {
        let resolved = try await load(source) { index in try PlatformMatcher.entry(of: index, platform, what: source.description) }
        guard let actual = resolved.config.platform else {
            throw AssemblyError.invalidImage("\(source.description): image config names no os/architecture")
        }
        guard actual.satisfies(platform) else {
            throw AssemblyError.notFound("\(source.description): image is \(actual), not \(platform)")
        }
        return resolved
    }

    /// Lenient resolution for looking at an image: `platform` if given, else linux/amd64, else an
    /// index's only child. A single manifest is checked only against an explicit platform.
    public static func resolve(_ source: ImageSource, preferring platform: Platform?) async throws -> ResolvedImage {
        let resolved = try await load(source) { index in try PlatformMatcher.entry(of: index, preferring: platform, what: source.description) }
        if let platform, resolved.index == nil, let actual = resolved.config.platform, !actual.satisfies(platform) {
            throw AssemblyError.notFound("\(source.description): image is \(actual), not \(platform)")
        }
        return resolved
    }

    /// Exactly `child` of the index `source` names (a platform of a multi-platform base); its
    /// config must agree with the entry's platform when the entry names one.
    public static func resolve(_ source: ImageSource, child: Descriptor) async throws -> ResolvedImage {
        let resolved = try await load(source) { index in
            guard let entry = index.manifests.first(where: { $0.digest == child.digest }) else {
                throw AssemblyError.notFound("\(source.description): the index no longer lists \(child.digest)")
            }
            return entry
        }
        if let platform = child.platform, let actual = resolved.config.platform, !actual.satisfies(platform) {
            throw AssemblyError.invalidImage("\(source.description): the index says \(child.digest.short) is \(platform), its config says \(actual)")
        }
        return resolved
    }

    /// Reads the root, lets `choose` pick an index's child (it throws when none fits), fetches
    /// the config.
    private static func load(_ source: ImageSource, choose: (ImageIndex) throws -> Descriptor) async throws -> ResolvedImage {
        let root = try await source.rootManifest()
        var index: ImageIndex?
        let manifest: RawManifest
        if root.isIndex {
            let decoded: ImageIndex
            do { decoded = try root.decodeIndex() } catch { throw AssemblyError.invalidImage("\(source.description): unreadable index") }
            let child = try choose(decoded)
            index = decoded
            manifest = try await source.manifest(child.digest)
            if manifest.isIndex { throw AssemblyError.unsupported("\(source.description): nested indexes are not supported") }
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
        return ResolvedImage(source: source, root: root, index: index, manifest: manifest, image: image, configBytes: configBytes, config: config)
    }

    /// History entries that made layers, aligned with `image.layers` (empty_layer ones skipped).
    public var layerHistory: [ImageConfig.History?] {
        let entries = (config.history ?? []).filter { $0.empty_layer != true }
        return image.layers.indices.map { $0 < entries.count ? entries[$0] : nil }
    }
}
