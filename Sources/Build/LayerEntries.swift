import Foundation
import Layers

/// The entries of a layer being planned, in the order the operations made them: a later entry
/// replaces an earlier one for the same path, as a later Dockerfile step overwrites a file (the
/// layer writer keeps the last one). A list, not a map by path: a copy of 100,000 entries is
/// kept once, and the writer sorts it anyway.
struct LayerEntries {
    private var specs: [LayerEntrySpec] = []
    /// Paths to make executable once every entry is in (`chmod +x`).
    var executables: [String] = []

    mutating func set(_ spec: LayerEntrySpec) throws {
        var spec = spec
        spec.path = try LayerPaths.normalize(spec.path)
        specs.append(spec)
    }

    /// Entries copied from an image, owned by `uid`:`gid` (a copy is root-owned). The list is
    /// taken over rather than copied when it is the first.
    mutating func set(contentsOf copied: consuming [LayerEntrySpec], uid: Int = 0, gid: Int = 0) throws {
        var copied = copied
        for index in copied.indices {
            copied[index].uid = uid
            copied[index].gid = gid
            copied[index].path = try LayerPaths.normalize(copied[index].path)
        }
        if specs.isEmpty { specs = copied } else { specs += copied }
    }

    /// `path` must be a regular file the layer holds (an executable a recipe names).
    func requireFile(_ path: String, source: String) throws {
        let key = try LayerPaths.normalize(path)
        guard let spec = specs.last(where: { $0.path.utf8.elementsEqual(key.utf8) }) else { throw BuildError.missingPath(source: source, path: path) }
        switch spec.content {
        case .file, .staged: break
        default: throw BuildError.notARegularFile(source: source, path: path)
        }
    }

    /// The specs, executables applied. chmod +x acts on the inode: every name of a file copied
    /// from an image with its hard links (names sharing staged content) gets the mode.
    consuming func finished() throws -> [LayerEntrySpec] {
        let wanted = Set(try executables.map { try LayerPaths.normalize($0) })
        guard !wanted.isEmpty else { return specs }
        // Only the last spec of a path counts (it is the one written).
        var last: [String: Int] = [:]
        for index in specs.indices where wanted.contains(specs[index].path) { last[specs[index].path] = index }
        var shared: Set<StagedContent> = []
        for index in last.values {
            if case .staged(let content) = specs[index].content { shared.insert(content) }
        }
        for index in last.values { specs[index].mode = 0o755 }
        if !shared.isEmpty {
            for index in specs.indices {
                if case .staged(let content) = specs[index].content, shared.contains(content) { specs[index].mode = 0o755 }
            }
        }
        return specs
    }
}
