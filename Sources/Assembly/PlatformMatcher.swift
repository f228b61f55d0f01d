import OCI

/// Which platforms of an image a command takes.
public enum PlatformChoice: Sendable, Equatable {
    /// The image for this platform (an index's child; a single manifest's config checked
    /// against it).
    case one(Platform)
    /// These platforms of a multi-platform image (each must be there).
    case some([Platform])
    /// Every platform of the image.
    case all

    /// Whether the choice names one platform (what a docker archive can hold).
    public var isSingle: Bool {
        if case .one = self { return true }
        return false
    }
}

/// The one way an index is narrowed, for the writer (`--platform`, a single-platform
/// destination), the resolver (a base, an input image, what `inspect` shows) and the plan
/// runner (`append --platform`), so every command picks the same child and says the same
/// thing when there is none (ggcr's `match.Matcher`). Attestation entries (platform
/// `unknown/unknown`) describe another image and are never a platform.
public enum PlatformMatcher {
    /// The entries `choice` names: exactly one for `.one`, each asked-for one for `.some`,
    /// every real platform for `.all`.
    public static func entries(of index: ImageIndex, _ choice: PlatformChoice, what: String) throws -> [Descriptor] {
        switch choice {
        case .one(let platform):
            return [try entry(of: index, platform, what: what)]
        case .some(let platforms):
            return try platforms.map { try entry(of: index, $0, what: what) }
        case .all:
            let real = index.manifests.filter(isPlatform)
            guard !real.isEmpty else { throw AssemblyError.notFound("\(what): the index names no platform") }
            return real
        }
    }

    /// The child for `platform`, which must be there.
    public static func entry(of index: ImageIndex, _ platform: Platform, what: String) throws -> Descriptor {
        guard let child = index.child(for: platform) else {
            throw AssemblyError.notFound("\(what): no \(platform) image in the index (available: \(available(index)))")
        }
        return child
    }

    /// The child to look at or to write where one platform is all there is room for: the
    /// asked-for one, else linux/amd64, else the index's only platform.
    /// - Parameter onlyOne: why one is needed, for the message when none can be picked.
    public static func entry(of index: ImageIndex, preferring platform: Platform?, what: String,
                             onlyOne: String = "it holds several platforms") throws -> Descriptor {
        if let platform { return try entry(of: index, platform, what: what) }
        if let child = index.child(for: .linuxAMD64) { return child }
        let real = index.manifests.filter(isPlatform)
        if real.count == 1 { return real[0] }
        if index.manifests.count == 1 { return index.manifests[0] }
        throw AssemblyError.notFound("\(what): \(onlyOne) and the index has no \(Platform.linuxAMD64) image; pick one with --platform (available: \(available(index)))")
    }

    /// Whether an index entry is an image of a platform (not an attestation manifest).
    public static func isPlatform(_ entry: Descriptor) -> Bool {
        entry.platform.map { $0.os != "unknown" } ?? false
    }

    /// The platforms an index offers, for messages.
    public static func available(_ index: ImageIndex) -> String {
        let names = index.manifests.filter(isPlatform).compactMap { $0.platform?.description }
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
