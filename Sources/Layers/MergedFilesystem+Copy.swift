extension MergedFilesystem {
    /// The merged entries at or below `selector`, re-rooted at `destination` as specs for a new
    /// layer (Docker `COPY --from` rules): a directory's contents go into `destination`, which
    /// itself gets the directory's mode; a single file goes to `destination`, or into it when
    /// `destination` ends with "/". Kinds, modes, uid and gid are kept (the caller sets the owner
    /// it wants). Symlinks keep their target text; hard links become regular files with their
    /// staged content (a copy is always correct, whichever names end up copied or overwritten).
    public func entries(under selector: String, destination: String) throws -> [LayerEntrySpec] {
        let source = try LayerPath.normalize(selector, allowRoot: true)
        let target = try LayerPath.normalize(destination, allowRoot: true)
        guard let node = node(at: source) else { throw LayerError.missingPath(source) }
        guard node.entry.kind == .directory else {
            let path = destination.hasSuffix("/") ? LayerPath.join(target, LayerPath.baseName(source)) : target
            guard !path.isEmpty else { throw LayerError.invalidPath(destination, reason: "a file cannot replace the root") }
            return [try spec(for: node, from: source, at: path)]
        }
        // Re-rooting: each path below the selector goes below the destination, in tar order
        // (so a refusal names the first offending path, whatever the tree's hashing order).
        return try ([("", nil, node)] + node.descendants().sorted { LayerPath.precedes($0.path, $1.path) })
            .compactMap { relative, bytes, child -> LayerEntrySpec? in
                let from = LayerPath.join(source, relative)
                // The new layer's names are UTF-8: a name that is not cannot be copied as it is,
                // and copying it under another name would be a silent change.
                if bytes != nil { throw LayerError.nonUTF8Name(path: from) }
                let path = LayerPath.join(target, relative)
                // The root is never an entry.
                return path.isEmpty ? nil : try spec(for: child, from: from, at: path)
            }
    }

    /// The spec writing `node` (at `source` in the image) to `path`.
    private func spec(for node: Node, from source: String, at path: String) throws -> LayerEntrySpec {
        var entry = node.entry
        entry.path = source
        let content: LayerEntrySpec.Content
        switch entry.kind {
        case .directory:
            content = .directory
        case .symlink:
            guard entry.linkTargetBytes == nil else { throw LayerError.nonUTF8Name(path: source) }
            content = .symlink(target: entry.linkTarget ?? "")
        case .file where entry.isSparse:
            // libarchive leaves a trailing hole out (a 5 GiB sparse file copied as 0 bytes), and
            // filling holes would let a tiny layer claim terabytes: refused.
            throw LayerError.unsupportedEntry(path: entry.path, kind: "sparse file")
        case .file, .hardlink:
            guard let staged = node.staged else {
                if entry.kind == .hardlink, let target = entry.linkTarget.flatMap({ self.node(at: $0) }), target.entry.isSparse {
                    throw LayerError.unsupportedEntry(path: entry.path, kind: "hard link to a sparse file")
                }
                if entry.kind == .hardlink, isSelected(Array(entry.path.utf8)) {
                    throw LayerError.unresolvedHardlink(path: entry.path, target: entry.linkTarget ?? "")
                }
                throw LayerError.notExtracted(entry.path)
            }
            content = .file(path: staged)
        case .characterDevice, .blockDevice, .fifo:
            throw LayerError.unsupportedEntry(path: entry.path, kind: entry.kind.rawValue)
        }
        return LayerEntrySpec(path: "/" + path, mode: entry.mode, uid: entry.uid, gid: entry.gid, content: content)
    }
}
