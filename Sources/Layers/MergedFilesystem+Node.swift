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
            return entry
        }

        /// The entry as callers see it, at `path`.
        func entry(at path: String) -> LayerEntry {
            var entry = self.entry
            entry.path = path
            entry.rawPath = path
            return entry
        }

        var displayName: String { String(decoding: name.bytes, as: UTF8.self) }

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
        func descendants() -> [(path: String, node: Node)] {
            var result: [(path: String, node: Node)] = []
            var stack: [(path: String, node: Node)] = [("", self)]
            while let (path, node) = stack.popLast() {
                if node !== self { result.append((path, node)) }
                for child in node.children.values {
                    stack.append((LayerPath.join(path, child.displayName), child))
                }
            }
            return result
        }
    }
}
