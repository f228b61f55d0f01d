extension MergedFilesystem {
    /// One path of the merged tree. A node keeps its own name only, never its full path: a deep
    /// tree would otherwise hold every prefix of every path (quadratic in depth, in time and
    /// memory). The traversals that need paths build them on the way down. A tree of 100,000
    /// paths is 100,000 nodes, so a node holds only what a listing or a copy reads back.
    final class Node {
        let name: PathKey
        var entry: StoredEntry
        /// The layer that provided the entry, and the last layer whose whiteouts swept this
        /// subtree (see `keepOnlyLayer`); a node made in a layer starts swept by it, as nothing
        /// below it can be older.
        var layer: Int32
        var sweptLayer: Int32
        /// Content in the spool (selected regular files and resolved hard links).
        var staged: StagedContent?
        var children: [PathKey: Node] = [:]

        init(name: PathKey, entry: LayerEntry, layer: Int) {
            self.name = name
            self.entry = StoredEntry(entry)
            self.layer = Int32(clamping: layer)
            sweptLayer = self.layer
        }

        /// The entry as callers see it, at `path` (`bytes`: the path's bytes when not UTF-8).
        func entry(at path: String, bytes: [UInt8]?) -> LayerEntry {
            var result = LayerEntry(path: path, kind: entry.kind, mode: entry.mode, uid: entry.uid, gid: entry.gid,
                                    size: entry.size, linkTarget: entry.linkTarget, mtime: entry.mtime)
            result.pathBytes = bytes
            result.linkTargetBytes = entry.linkTargetBytes
            result.isSparse = entry.isSparse
            return result
        }

        /// The node and everything below it, parents before children. Iterative: a layer can
        /// nest paths deeper than a thread's stack would allow recursion to follow.
        func subtree() -> [Node] {
            var nodes: [Node] = []
            var stack = [self]
            while let node = stack.popLast() {
                nodes.append(node)
                stack.append(contentsOf: node.children.values)
            }
            return nodes
        }

        /// Everything below this node with its path relative to it (under `prefix`, a UTF-8
        /// normalized path, when given), parents before children. `bytes` is the path's bytes
        /// when some component is not UTF-8 (then `path` shows the stray bytes as `\xNN`);
        /// below a UTF-8 path the text is the bytes, so they are made only where needed.
        func descendants(prefix: String = "") -> [(path: String, bytes: [UInt8]?, node: Node)] {
            var result: [(path: String, bytes: [UInt8]?, node: Node)] = []
            var stack: [(path: String, bytes: [UInt8]?, node: Node)] = [(prefix, nil, self)]
            while let (path, bytes, node) = stack.popLast() {
                if node !== self { result.append((path, bytes, node)) }
                for child in node.children.values {
                    let (name, isUTF8) = LayerName.decode(child.name.bytes)
                    guard bytes != nil || !isUTF8 else {
                        stack.append((LayerPath.join(path, name), nil, child))
                        continue
                    }
                    // The whole path decoded at once, as the reader shows the same name.
                    let base = bytes ?? Array(path.utf8)
                    let childBytes = base.isEmpty ? child.name.bytes : base + [UInt8(ascii: "/")] + child.name.bytes
                    stack.append((LayerName.decode(childBytes).text, childBytes, child))
                }
            }
            return result
        }
    }

    /// What a node keeps of an entry: no name (the tree has it), no whiteout or safety flag
    /// (whiteouts never become nodes, unsafe layers are refused).
    struct StoredEntry {
        var kind: LayerEntry.Kind
        var isSparse: Bool
        var mode: UInt32
        var uid: Int
        var gid: Int
        var size: Int64
        var mtime: Int64
        var linkTarget: String?
        var linkTargetBytes: [UInt8]?

        init(_ entry: LayerEntry) {
            kind = entry.kind
            isSparse = entry.isSparse
            mode = entry.mode
            uid = entry.uid
            gid = entry.gid
            size = entry.size
            mtime = entry.mtime
            linkTarget = entry.linkTarget
            linkTargetBytes = entry.linkTargetBytes
        }
    }
}
