import Streams

/// The filesystem an image's layers add up to, built by applying layers in order (OCI image-spec
/// layer.md): later layers override earlier ones, `.wh.NAME` deletes NAME and its subtree from
/// lower layers, `.wh..wh..opq` hides lower layers' contents of its directory, a non-directory
/// replacing a directory drops the subtree. Every path remembers its final entry and the layer
/// that provided it (for `inspect --files all`); files under the selected paths also keep their
/// content in a spool (for `COPY --from`), streamed there as the layers are read.
///
/// Paths are matched lexically: a selector is not resolved through symlinks in the image.
/// A layer with an unsafe entry (`..` in a name or hard-link target) is refused.
public final class MergedFilesystem {
    /// One path of the merged image.
    public struct Item: Sendable, Equatable {
        public let path: String
        public let entry: LayerEntry
        /// Index (as passed to `apply`) of the layer that provided the entry.
        public let layerIndex: Int
    }

    let root = Node(name: PathKey(""), entry: LayerEntry(path: "", kind: .directory, mode: 0o755), layer: -1)
    let selectors: [String]
    let staging: Spool?
    /// Nodes whiteouts have walked so far: the tests' proof that sweeping stays linear.
    private(set) var sweptNodes = 0

    /// A view for listing only: no content is kept.
    public init() {
        selectors = []
        staging = nil
    }

    /// A view that also keeps the content of files at or below `selectors` ("/opt/harness/bin/x",
    /// "/opt/harness/scripts/") in a spool in `stagingDirectory` (created if missing, must be empty).
    public init(selecting selectors: [String], stagingDirectory: String) throws {
        self.selectors = try selectors.map { try LayerPath.normalize($0, allowRoot: true) }
        staging = try Spool(directory: stagingDirectory)
    }

    /// The spool's live content: what the selected files of the merged image hold.
    public var stagedBytes: Int64 { staging?.liveBytes ?? 0 }
    public var stagedFiles: Int { staging?.liveSegments ?? 0 }

    static let implicitDirectory = LayerEntry(path: "", kind: .directory, mode: 0o755)

    /// Applies the next layer; call in manifest order, bottom layer first. Paths are matched
    /// by their bytes, so names that are not UTF-8 stay as distinct as the tar has them.
    public func apply(layerIndex: Int, reader: LayerReader) throws {
        while let entry = try reader.next() {
            try Interruption.check()
            guard entry.isSafe else { throw LayerError.unsafeEntry(path: entry.rawPath, layer: layerIndex) }
            let path = entry.pathBytes ?? Array(entry.path.utf8)
            switch entry.whiteout {
            case .whiteout?:
                // `.wh.NAME` deletes NAME: the bytes after the prefix, in the same directory.
                guard let (parent, name) = LayerName.split(path) else { continue }
                removeLowerLayers(in: parent, named: Array(name.dropFirst(LayerEntry.whiteoutPrefix.utf8.count)), layer: layerIndex)
            case .opaque?:
                let node = ensureDirectory(LayerName.split(path)?.parent ?? [], layer: layerIndex)
                // Once swept in this layer, nothing lower is left below: a repeated marker is free.
                guard node.sweptLayer < layerIndex else { continue }
                node.children = node.children.filter { keepOnlyLayer($0.value, from: layerIndex) }
                node.sweptLayer = Int32(clamping: layerIndex)
            case .metadata?:
                continue
            case nil:
                try add(entry, at: path, layer: layerIndex, reader: reader)
            }
        }
    }

    /// Every path of the merged image, sorted bytewise, with the layer that provided it.
    public func listing() -> [Item] {
        // Sorted while still small (path, node) pairs, then made into items once.
        var nodes = root.descendants()
        nodes.sort { LayerPath.precedes($0.path, $1.path) }
        return nodes.map { Item(path: $0.path, entry: $0.node.entry(at: $0.path, bytes: $0.bytes), layerIndex: Int($0.node.layer)) }
    }

    /// The merged entry at a path ("/usr/bin/env"), if any.
    public func item(at path: String) -> Item? {
        guard let normalized = try? LayerPath.normalize(path), let node = node(at: normalized) else { return nil }
        return Item(path: normalized, entry: node.entry(at: normalized, bytes: nil), layerIndex: Int(node.layer))
    }

    // MARK: - Applying entries

    private func add(_ entry: LayerEntry, at path: [UInt8], layer: Int, reader: LayerReader) throws {
        guard let (parentPath, name) = LayerName.split(path) else {
            if entry.kind == .directory { root.entry = StoredEntry(entry) }  // "./" itself
            return
        }
        let parent = ensureDirectory(parentPath, layer: layer)
        let key = PathKey(bytes: name)
        if let existing = parent.children[key], existing.entry.kind == .directory, entry.kind == .directory {
            existing.entry = StoredEntry(entry)  // a directory over a directory merges: lower contents stay
            existing.layer = Int32(clamping: layer)
            return
        }
        if let existing = parent.children[key] { release(existing) }
        let node = Node(name: key, entry: entry, layer: layer)
        parent.children[key] = node
        guard let staging, isSelected(path) else { return }
        switch entry.kind {
        case .file where entry.isSparse:
            break  // never staged: its holes would be written out as zeros (a 1 KiB tar can claim 1 TiB)
        case .file:
            node.staged = try staging.stage(from: reader)
        case .hardlink:
            // Tar puts a link's target earlier, in this layer or a lower one; a target outside
            // the selection has no staged content and the link stays unresolved.
            let target = entry.linkTargetBytes ?? entry.linkTarget.map { Array($0.utf8) }
            if let target, let content = self.node(at: target)?.staged {
                node.staged = staging.share(content)
            }
        default:
            break
        }
    }

    /// Walks to a directory, creating missing ones (a tar need not list parents) and replacing a
    /// non-directory in the way, as extracting the layer would.
    private func ensureDirectory(_ path: [UInt8], layer: Int) -> Node {
        var current = root
        for component in LayerName.components(path) {
            let key = PathKey(bytes: component)
            if let child = current.children[key], child.entry.kind == .directory {
                current = child
                continue
            }
            if let child = current.children[key] { release(child) }
            let child = Node(name: key, entry: Self.implicitDirectory, layer: layer)
            current.children[key] = child
            current = child
        }
        return current
    }

    /// A whiteout: `name` in `directory` and its subtree from layers before `layer` disappear.
    private func removeLowerLayers(in directory: [UInt8], named name: [UInt8], layer: Int) {
        guard let parent = node(at: directory) else { return }
        let key = PathKey(bytes: name)
        if let victim = parent.children[key], !keepOnlyLayer(victim, from: layer) {
            parent.children[key] = nil
        }
    }

    /// Drops everything below `node` (and says whether `node` itself stays) that came from layers
    /// before `layer`; entries of `layer` itself survive with their ancestors, whatever order the
    /// whiteout and those entries had in the tar. A subtree already swept in this layer holds
    /// nothing lower but such ancestors, so it is not walked again: every node is visited at most
    /// once per layer, however many whiteouts a layer repeats.
    private func keepOnlyLayer(_ top: Node, from layer: Int) -> Bool {
        var order: [Node] = []
        var stack = [top]
        while let node = stack.popLast() {
            order.append(node)
            sweptNodes += 1
            if node.sweptLayer < layer { stack.append(contentsOf: node.children.values) }
        }
        var dropped = Set<ObjectIdentifier>()
        for node in order.reversed() {  // children before their parents
            if node.sweptLayer < layer {
                if !dropped.isEmpty { node.children = node.children.filter { !dropped.contains(ObjectIdentifier($0.value)) } }
                node.sweptLayer = Int32(clamping: layer)
            }
            guard node.layer < layer, node.children.isEmpty else { continue }
            dropped.insert(ObjectIdentifier(node))
            if let staged = node.staged { staging?.release(staged) }
        }
        return !dropped.contains(ObjectIdentifier(top))
    }

    /// Forgets a replaced node and its subtree, deleting their staged content.
    private func release(_ node: Node) {
        guard let staging else { return }  // nothing staged: nothing to walk
        for node in node.subtree() {
            if let staged = node.staged { staging.release(staged) }
        }
    }

    func node(at path: [UInt8]) -> Node? {
        var current = root
        for component in LayerName.components(path) {
            guard let child = current.children[PathKey(bytes: component)] else { return nil }
            current = child
        }
        return current
    }

    func node(at path: String) -> Node? { node(at: Array(path.utf8)) }

    /// `path` (bytes of a normalized path) is at or below a selector.
    func isSelected(_ path: [UInt8]) -> Bool {
        selectors.contains { selector in
            selector.isEmpty || (path.starts(with: selector.utf8)
                && (path.count == selector.utf8.count || path[selector.utf8.count] == UInt8(ascii: "/")))
        }
    }
}
