/// The entries of a layer in the order they are written: the last spec for a path wins,
/// parents filled in, hard links resolved, sorted. Pure (no I/O), so the rules are easy to test
/// and to reason about. Kept as sorted arrays (binary search, no dictionaries): a layer of
/// 100,000 entries is planned in one array of specs and one of indices.
struct LayerPlan {
    /// Specs with normalized paths in tar order. A `.hardlink` target here is always a
    /// normalized path written earlier in the archive.
    let entries: [LayerEntrySpec]

    /// `specs` have normalized paths (hard-link targets normalized too), in the order they were
    /// added: a later spec for a path replaces an earlier one.
    init(specs: [LayerEntrySpec]) throws(LayerError) {
        var all = Self.lastOfEachPath(specs)
        try Self.addMissingParents(&all)
        Self.linkSharedContent(&all)
        try Self.resolveHardlinks(&all)
        entries = all
    }

    /// Sorted by path, one spec per path: the one added last.
    private static func lastOfEachPath(_ specs: [LayerEntrySpec]) -> [LayerEntrySpec] {
        let order = specs.indices.sorted { a, b in
            same(specs[a].path, specs[b].path) ? a < b : LayerPath.precedes(specs[a].path, specs[b].path)
        }
        var result: [LayerEntrySpec] = []
        result.reserveCapacity(order.count)
        for (position, index) in order.enumerated() {
            let next = position + 1 < order.count ? order[position + 1] : nil
            if let next, same(specs[next].path, specs[index].path) { continue }  // a later one wins
            result.append(specs[index])
        }
        return result
    }

    /// The index of `path` in sorted `entries`, if there.
    static func find(_ path: String, in entries: [LayerEntrySpec]) -> Int? {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if LayerPath.precedes(entries[middle].path, path) { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && same(entries[low].path, path) ? low : nil
    }

    /// Paths are the same when their bytes are: Swift's `==` would merge the NFC and NFD
    /// spellings of a name, which a tar keeps apart.
    static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// Every parent gets an entry (0755, root-owned) unless one was asked for; a parent that
    /// exists but is not a directory is an error rather than a silently broken tree.
    private static func addMissingParents(_ all: inout [LayerEntrySpec]) throws(LayerError) {
        var added: Set<PathKey> = []
        for spec in all {
            var parent = LayerPath.parent(of: spec.path)
            while let current = parent, !current.isEmpty, !added.contains(PathKey(current)) {
                if let existing = find(current, in: all) {
                    guard all[existing].content == .directory else { throw .notADirectory("/" + current) }
                    break  // its own parents are handled when it is visited
                }
                added.insert(PathKey(current))
                parent = LayerPath.parent(of: current)
            }
        }
        guard !added.isEmpty else { return }
        let parents = added.map { String(decoding: $0.bytes, as: UTF8.self) }.sorted(by: LayerPath.precedes).map { LayerEntrySpec.directory($0) }
        var merged: [LayerEntrySpec] = []
        merged.reserveCapacity(all.count + parents.count)
        var next = 0
        for spec in all {
            while next < parents.count, LayerPath.precedes(parents[next].path, spec.path) {
                merged.append(parents[next])
                next += 1
            }
            merged.append(spec)
        }
        merged += parents[next...]
        all = merged
    }

    /// Names with the same staged content (an image's hard links, copied) become hard links to
    /// the first of them in tar order, as BuildKit's COPY keeps them, instead of duplicates.
    /// Found by sorting (spool, offset, index) triples: a copy of 100,000 files is 100,000
    /// segments, nearly all of them distinct, and a map of them cost more than the copy's specs.
    private static func linkSharedContent(_ all: inout [LayerEntrySpec]) {
        var staged: [(spool: ObjectIdentifier, offset: Int64, index: Int)] = []
        for index in all.indices {
            if case .staged(let content) = all[index].content { staged.append((ObjectIdentifier(content.spool), content.offset, index)) }
        }
        staged.sort { ($0.spool, $0.offset, $0.index) < ($1.spool, $1.offset, $1.index) }
        var first = 0
        for position in staged.indices.dropFirst() {
            let current = staged[position], carrier = staged[first]
            guard current.spool == carrier.spool, current.offset == carrier.offset else {
                first = position
                continue
            }
            all[current.index].content = .hardlink(target: all[carrier.index].path)
        }
    }

    /// Groups hard links with the regular file they end at. Tar needs a link's target earlier in
    /// the archive, which sorting alone does not give ("a" linking to "b"), so the bytewise-first
    /// name of each group carries the content and the others link to it. All names share the
    /// file's mode and owner: they are one inode.
    private static func resolveHardlinks(_ all: inout [LayerEntrySpec]) throws(LayerError) {
        var groups: [Int: [Int]] = [:]  // index of the content file -> indices of every name of it
        for index in all.indices {
            guard case .hardlink = all[index].content else { continue }
            let file = try resolve(index, in: all)
            groups[file, default: [file]].append(index)
        }
        for (file, names) in groups {
            let content = all[file]
            let sorted = names.sorted()  // indices follow tar order
            for (position, index) in sorted.enumerated() {
                var spec = content
                spec.path = all[index].path
                if position > 0 { spec.content = .hardlink(target: all[sorted[0]].path) }
                all[index] = spec
            }
        }
    }

    /// Follows a chain of hard links to a regular file; cycles and dangling links are errors.
    private static func resolve(_ link: Int, in all: [LayerEntrySpec]) throws(LayerError) -> Int {
        var current = all[link].path
        var steps = 0
        while let index = find(current, in: all), steps <= all.count {
            switch all[index].content {
            case .file, .bytes, .staged: return index
            case .hardlink(let target): current = target
            case .directory, .symlink:
                throw .hardlinkTargetMissing(link: "/" + all[link].path, target: "/" + current)
            }
            steps += 1
        }
        throw .hardlinkTargetMissing(link: "/" + all[link].path, target: "/" + current)
    }
}
