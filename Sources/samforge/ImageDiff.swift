import Assembly
import Layers
import OCI

/// What changed from image A to image B, as values (`samforge diff`): the config fields people
/// compare, the layers by digest, and with `--files` the merged filesystems path by path. The
/// JSON keys are sorted; fields are only ever added.
struct ImageDiff: Encodable {
    struct Side: Encodable {
        var reference: String
        /// Of what the location names (an index, or the manifest).
        var digest: Digest
        var manifestDigest: Digest
        var platform: String?
    }

    /// One config field: the same, or its value on each side (nil: not set).
    struct Field: Encodable {
        var same: Bool
        var a: [String]?
        var b: [String]?
    }

    /// A list of KEY=VALUE (Env) or a label map, compared by key.
    struct Pairs: Encodable {
        struct Changed: Encodable { var key: String; var a: String; var b: String }
        var same: Bool
        var unchanged: Int
        var added: [String]
        var removed: [String]
        var changed: [Changed]
    }

    struct Config: Encodable {
        var Env: Pairs
        var Labels: Pairs
        var Entrypoint: Field
        var Cmd: Field
        var WorkingDir: Field
        var User: Field
        var platform: Field
    }

    struct Layer: Encodable {
        var digest: Digest
        var size: Int64
        var diffID: Digest?
        var createdBy: String?
        /// Its index (0 = bottom) in A, in B.
        var a: Int?
        var b: Int?
    }

    struct Layers: Encodable {
        var shared: [Layer]
        var onlyA: [Layer]
        var onlyB: [Layer]
        /// Digests in A and B that differ although their content (diff_id) is the same: the same
        /// tar compressed differently.
        var recompressed: [Digest]
    }

    var a: Side
    var b: Side
    var config: Config
    var layers: Layers
    var files: FilesDiff?

    init(a: Side, b: Side, imageA: ResolvedImage, imageB: ResolvedImage) {
        self.a = a
        self.b = b
        let configA = imageA.config.config, configB = imageB.config.config
        config = Config(Env: Self.pairs(Self.env(configA?.Env), Self.env(configB?.Env)),
                        Labels: Self.pairs(configA?.Labels ?? [:], configB?.Labels ?? [:]),
                        Entrypoint: Self.field(configA?.Entrypoint, configB?.Entrypoint),
                        Cmd: Self.field(configA?.Cmd, configB?.Cmd),
                        WorkingDir: Self.field(configA?.WorkingDir.map { [$0] }, configB?.WorkingDir.map { [$0] }),
                        User: Self.field(configA?.User.map { [$0] }, configB?.User.map { [$0] }),
                        platform: Self.field(imageA.config.platform.map { [$0.description] }, imageB.config.platform.map { [$0.description] }))
        layers = Self.layers(imageA, imageB)
    }

    static func field(_ a: [String]?, _ b: [String]?) -> Field {
        // An empty value and no value run the same container; say "same" only when equal.
        Field(same: a == b, a: a, b: b)
    }

    /// `KEY=VALUE` lines as a map (a later line wins, as the runtime applies them).
    static func env(_ lines: [String]?) -> [String: String] {
        var map: [String: String] = [:]
        for line in lines ?? [] {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            map[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return map
    }

    static func pairs(_ a: [String: String], _ b: [String: String]) -> Pairs {
        let keys = Set(a.keys).union(b.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var result = Pairs(same: true, unchanged: 0, added: [], removed: [], changed: [])
        for key in keys {
            switch (a[key], b[key]) {
            case let (old?, new?) where old == new: result.unchanged += 1
            case let (old?, new?): result.changed.append(.init(key: key, a: old, b: new))
            case let (old?, nil): result.removed.append("\(key)=\(old)")
            case let (nil, new?): result.added.append("\(key)=\(new)")
            case (nil, nil): break
            }
        }
        result.same = result.added.isEmpty && result.removed.isEmpty && result.changed.isEmpty
        return result
    }

    /// Layers by digest: shared (in both, at their indexes), only in A, only in B.
    static func layers(_ a: ResolvedImage, _ b: ResolvedImage) -> Layers {
        func described(_ image: ResolvedImage) -> [Layer] {
            let diffIDs = image.config.rootfs?.diff_ids ?? []
            let history = (image.config.history ?? []).filter { $0.empty_layer != true }
            return image.image.layers.enumerated().map { index, layer in
                Layer(digest: layer.digest, size: layer.size, diffID: diffIDs.indices.contains(index) ? diffIDs[index] : nil,
                      createdBy: history.indices.contains(index) ? history[index].created_by : nil)
            }
        }
        let inA = described(a), inB = described(b)
        var firstInB: [Digest: Int] = [:]
        for (index, layer) in inB.enumerated() where firstInB[layer.digest] == nil { firstInB[layer.digest] = index }
        let digestsA = Set(inA.map(\.digest))
        var shared: [Layer] = [], onlyA: [Layer] = [], onlyB: [Layer] = []
        for (index, layer) in inA.enumerated() {
            var entry = layer
            entry.a = index
            if let other = firstInB[layer.digest] { entry.b = other; shared.append(entry) } else { onlyA.append(entry) }
        }
        for (index, layer) in inB.enumerated() where !digestsA.contains(layer.digest) {
            var entry = layer
            entry.b = index
            onlyB.append(entry)
        }
        let contentA = Set(onlyA.compactMap(\.diffID))
        let recompressed = onlyB.filter { $0.diffID.map(contentA.contains) ?? false }.map(\.digest)
        return Layers(shared: shared, onlyA: onlyA, onlyB: onlyB, recompressed: recompressed)
    }
}

/// The merged filesystems of A and B compared path by path, from their tar headers (no file
/// is unpacked or hashed): added, removed, and changed in type, size, mode, owner or link target.
struct FilesDiff: Encodable {
    struct Entry: Encodable {
        var path: String
        var type: String
        var mode: String
        var uid: Int
        var gid: Int
        var size: Int64
        var linkTarget: String?
        /// The layer (0 = bottom) the path comes from.
        var layer: Int

        init(_ item: MergedFilesystem.Item) {
            let entry = item.entry
            path = "/" + entry.path
            type = entry.kind.rawValue
            mode = FilesDiff.octal(entry.mode)
            uid = entry.uid
            gid = entry.gid
            size = entry.kind == .file ? entry.size : 0
            linkTarget = entry.kind == .hardlink ? entry.linkTarget.map { "/" + $0 } : entry.linkTarget
            layer = item.layerIndex
        }
    }

    struct Changed: Encodable {
        var path: String
        /// Which of type, size, mode, owner, linkTarget differ.
        var changes: [String]
        var a: Entry
        var b: Entry
    }

    var added: [Entry] = []
    var removed: [Entry] = []
    var changed: [Changed] = []
    /// Paths in both, unchanged.
    var unchanged = 0

    /// Both listings are in tar order (bytewise), so one pass pairs them.
    init(a: [MergedFilesystem.Item], b: [MergedFilesystem.Item]) {
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].path.utf8.lexicographicallyPrecedes(b[j].path.utf8)) {
                removed.append(Entry(a[i])); i += 1
            } else if i == a.count || b[j].path.utf8.lexicographicallyPrecedes(a[i].path.utf8) {
                added.append(Entry(b[j])); j += 1
            } else {
                let old = Entry(a[i]), new = Entry(b[j])
                let changes = Self.changes(old, new)
                if changes.isEmpty { unchanged += 1 } else { changed.append(Changed(path: old.path, changes: changes, a: old, b: new)) }
                i += 1; j += 1
            }
        }
    }

    static func changes(_ a: Entry, _ b: Entry) -> [String] {
        var changes: [String] = []
        if a.type != b.type { changes.append("type") }
        if a.size != b.size { changes.append("size") }
        if a.mode != b.mode { changes.append("mode") }
        if a.uid != b.uid || a.gid != b.gid { changes.append("owner") }
        if a.linkTarget != b.linkTarget { changes.append("linkTarget") }
        return changes
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
