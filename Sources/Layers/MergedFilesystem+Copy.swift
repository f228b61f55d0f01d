extension MergedFilesystem {
    /// The merged entries at or below `selector`, re-rooted at `destination` as specs for a new
    /// layer (Docker `COPY --from` rules): a directory's contents go into `destination`, which
    /// itself gets the directory's mode; a single file goes to `destination`, or into it when
    /// `destination` ends with "/". Kinds, modes, uid and gid are kept (the caller sets the owner
    /// it wants). Symlinks keep their target text; hard links become regular files with their
    /// staged content (a copy is always correct, whichever names end up copied or overwritten),
    /// and names sharing staged content are written as hard links again by the layer writer.
    public func entries(under selector: String, destination: String) throws -> [LayerEntrySpec] {
        let source = try LayerPath.normalize(selector, allowRoot: true)
        let target = try LayerPath.normalize(destination, allowRoot: true)
        guard let node = node(at: source) else { throw LayerError.missingPath(source) }
        guard node.entry.kind == .directory else {
            let path = destination.hasSuffix("/") ? LayerPath.join(target, LayerPath.baseName(source)) : target
            guard !path.isEmpty else { throw LayerError.invalidPath(destination, reason: "a file cannot replace the root") }
            return [try spec(for: node, at: path) { source }]
        }
        // Re-rooting: each path below the selector goes below the destination, in tar order
        // (so a refusal names the first offending path, whatever the tree's hashing order).
        // The paths are made once, already under the destination: they are the specs' own.
        let below = node.descendants(prefix: target).sorted { LayerPath.precedes($0.path, $1.path) }
        var specs: [LayerEntrySpec] = []
        specs.reserveCapacity(below.count + 1)
        if !target.isEmpty { specs.append(try spec(for: node, at: target) { source }) }  // the root is never an entry
        for (path, bytes, child) in below {
            let from = { LayerPath.join(source, String(path.utf8.dropFirst(target.isEmpty ? 0 : target.utf8.count + 1)) ?? path) }
            // The new layer's names are UTF-8: a name that is not cannot be copied as it is,
            // and copying it under another name would be a silent change.
            if bytes != nil { throw LayerError.nonUTF8Name(path: from()) }
            specs.append(try spec(for: child, at: path, from: from))
        }
        return specs
    }

    /// The spec writing `node` (at `source()` in the image, for messages) to `path`.
    private func spec(for node: Node, at path: String, from source: () -> String) throws -> LayerEntrySpec {
        let entry = node.entry
        let content: LayerEntrySpec.Content
        switch entry.kind {
        case .directory:
            content = .directory
        case .symlink:
            guard entry.linkTargetBytes == nil else { throw LayerError.nonUTF8Name(path: source()) }
            content = .symlink(target: entry.linkTarget ?? "")
        case .file where entry.isSparse:
            // libarchive leaves a trailing hole out (a 5 GiB sparse file copied as 0 bytes), and
            // filling holes would let a tiny layer claim terabytes: refused.
            throw LayerError.unsupportedEntry(path: source(), kind: "sparse file")
        case .file, .hardlink:
            guard let staged = node.staged else {
                if entry.kind == .hardlink, let target = entry.linkTarget.flatMap({ self.node(at: $0) }), target.entry.isSparse {
                    throw LayerError.unsupportedEntry(path: source(), kind: "hard link to a sparse file")
                }
                if entry.kind == .hardlink, isSelected(Array(source().utf8)) {
                    throw LayerError.unresolvedHardlink(path: source(), target: entry.linkTarget ?? "")
                }
                throw LayerError.notExtracted(source())
            }
            content = .staged(staged)
        case .characterDevice, .blockDevice, .fifo:
            throw LayerError.unsupportedEntry(path: source(), kind: entry.kind.rawValue)
        }
        // The normalized path as it is (no leading "/"): no string is made again downstream.
        return LayerEntrySpec(path: path, mode: entry.mode, uid: entry.uid, gid: entry.gid, content: content)
    }
}
