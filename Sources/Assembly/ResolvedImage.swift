import OCI

/// One platform's image, ready to build on: the manifest (exact bytes), its decoded form and
/// the config (exact bytes and typed view). An index is resolved to the wanted platform's
/// child, and the config must agree with that platform: an index entry can lie about what it
/// points at, and a single manifest says nothing about its platform at all.
public struct ResolvedImage: Sendable {
    public let source: ImageSource
    /// What the reference named: an index or the manifest itself.
    public let root: RawManifest
    public let manifest: RawManifest
    public let image: ImageManifest
    public let configBytes: [UInt8]
    public let config: ImageConfig

    /// Docker schema2 (true) or OCI (false): new layers and the config follow the base's flavour.
    public var isDockerFlavour: Bool { image.isDockerFlavour }

    public static func resolve(_ source: ImageSource, platform: Platform) async throws -> ResolvedImage {
        let root = try await source.rootManifest()
        let manifest: RawManifest
        if root.isIndex {
            let index: ImageIndex
            do { index = try root.decodeIndex() } catch { throw AssemblyError.invalidImage("\(source.description): unreadable index") }
            guard let child = index.child(for: platform) else {
                throw AssemblyError.notFound("\(source.description): no \(platform) image in the index (available: \(platformList(index)))")
            }
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
        guard let actual = config.platform else {
            throw AssemblyError.invalidImage("\(source.description): image config names no os/architecture")
        }
        guard actual.satisfies(platform) else {
            throw AssemblyError.notFound("\(source.description): image is \(actual), not \(platform)")
        }
        return ResolvedImage(source: source, root: root, manifest: manifest, image: image, configBytes: configBytes, config: config)
    }
}
