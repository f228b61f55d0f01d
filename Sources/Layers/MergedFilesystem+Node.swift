extension MergedFilesystem {
    /// One path of the merged tree. A node keeps its own name only, never its full path: a deep
    /// tree would otherwise hold every prefix of every path (quadratic in depth, in time and
    /// memory). The traversals that need paths build them on the way down.
    final class Node {
        let name: PathKey
        /// The entry as read, its `path` and `rawPath` emptied (the tree knows where it is).
        var entry: LayerEntry
        var layer: Int
        /// Content file in the staging area (selected regular files and resolved hard links).
        var staged: String?
        var children: [PathKey: Node] = [:]
        /// The last layer whose whiteouts swept this subtree (see `keepOnlyLayer`); a node made
        /// in a layer starts swept by it, as nothing below it can be older.
        var sweptLayer: Int

        init(name: PathKey, entry: LayerEntry, layer: Int) {
            self.name = name
            self.entry = Self.stored(entry)
            self.layer = layer
            sweptLayer = layer
        }

        static func stored(_ entry: LayerEntry) -> LayerEntry {
            var entry = entry
            entry.path = ""
            entry.rawPath = ""
            entry.pathBytes = nil
            return entry
        }

        /// The entry as callers see it, at `path` (`bytes`: the path's bytes when not UTF-8).
        func entry(at path: String, bytes: [UInt8]?) -> LayerEntry {
            var entry = self.entry
            entry.path = path
            entry.rawPath = path
            entry.pathBytes = bytes
            return entry
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

        /// Everything below this node with its path relative to it, parents before children.
        /// `bytes` is the path's bytes when some component is not UTF-8 (then `path` shows the
        /// stray bytes as `\xNN`); below a UTF-8 path the text is the bytes, so they are made
        /// only where needed.
        func descendants() -> [(path: String, bytes: [UInt8]?, node: Node)] {
            var result: [(path: String, bytes: [UInt8]?, node: Node)] = []
            var stack: [(path: String, bytes: [UInt8]?, node: Node)] = [("", nil, self)]
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
}
