/// The entries of a layer in the order they are written: parents filled in, hard links resolved,
/// sorted. Pure (no I/O), so the rules are easy to test and to reason about.
struct LayerPlan {
    typealias Specs = [PathKey: (path: String, spec: LayerEntrySpec)]

    /// (normalized path, spec) in tar order. A `.hardlink` target here is always a normalized
    /// path written earlier in the archive.
    let entries: [(path: String, spec: LayerEntrySpec)]

    /// `specs` are keyed by normalized path (hard-link targets normalized too); the last spec
    /// added for a path has already won.
    init(specs: Specs) throws(LayerError) {
        var all = specs
        try Self.addMissingParents(&all)
        try Self.resolveHardlinks(&all)
        entries = all.values.sorted { LayerPath.precedes($0.path, $1.path) }
    }

    /// Every parent gets an entry (0755, root-owned) unless one was asked for; a parent that
    /// exists but is not a directory is an error rather than a silently broken tree.
    private static func addMissingParents(_ all: inout Specs) throws(LayerError) {
        for (path, _) in all.values {
            var parent = LayerPath.parent(of: path)
            while let current = parent, !current.isEmpty {
                if let existing = all[PathKey(current)] {
                    guard existing.spec.content == .directory else { throw .notADirectory("/" + current) }
                    break  // its own parents are handled when it is visited
                }
                all[PathKey(current)] = (current, .directory(current))
                parent = LayerPath.parent(of: current)
            }
        }
    }

    /// Groups hard links with the regular file they end at. Tar needs a link's target earlier in
    /// the archive, which sorting alone does not give ("a" linking to "b"), so the bytewise-first
    /// name of each group carries the content and the others link to it. All names share the
    /// file's mode and owner: they are one inode.
    private static func resolveHardlinks(_ all: inout Specs) throws(LayerError) {
        var groups: [PathKey: [String]] = [:]  // content file -> every name of it
        for (path, spec) in all.values {
            guard case .hardlink = spec.content else { continue }
            let file = try resolve(path, in: all)
            groups[PathKey(file), default: [file]].append(path)
        }
        for (file, names) in groups {
            guard let content = all[file]?.spec else { continue }
            let sorted = names.sorted(by: LayerPath.precedes)
            for (index, name) in sorted.enumerated() {
                var spec = content
                spec.path = name
                if index > 0 { spec.content = .hardlink(target: sorted[0]) }
                all[PathKey(name)] = (name, spec)
            }
        }
    }

    /// Follows a chain of hard links to a regular file; cycles and dangling links are errors.
    private static func resolve(_ link: String, in all: Specs) throws(LayerError) -> String {
        var current = link
        var steps = 0
        while let entry = all[PathKey(current)], steps <= all.count {
            switch entry.spec.content {
            case .file, .bytes: return current
            case .hardlink(let target): current = target
            case .directory, .symlink: throw .hardlinkTargetMissing(link: "/" + link, target: "/" + current)
            }
            steps += 1
        }
        throw .hardlinkTargetMissing(link: "/" + link, target: "/" + current)
    }
}
