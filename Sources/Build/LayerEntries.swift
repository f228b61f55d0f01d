import Foundation
import Layers

/// The entries of a layer being planned, by path: a later entry replaces an earlier one, as a
/// later Dockerfile step overwrites a file.
struct LayerEntries {
    private var specs: [String: LayerEntrySpec] = [:]
    /// Paths whose content came out of an image (staged files that may share an inode).
    private var staged: Set<String> = []
    /// Paths to make executable once every entry is in (`chmod +x`).
    var executables: [String] = []

    mutating func set(_ spec: LayerEntrySpec, staged fromImage: Bool = false) throws {
        let key = try LayerPaths.normalize(spec.path)
        specs[key] = spec
        if fromImage { staged.insert(key) } else { staged.remove(key) }
    }

    /// `path` must be a regular file the layer holds (an executable a recipe names).
    func requireFile(_ path: String, source: String) throws {
        guard let spec = specs[try LayerPaths.normalize(path)] else { throw BuildError.missingPath(source: source, path: path) }
        guard case .file = spec.content else { throw BuildError.notARegularFile(source: source, path: path) }
    }

    /// The specs in tar order, with hard links restored and executables applied.
    func finished() throws -> [LayerEntrySpec] {
        var ordered = specs.keys.sorted(by: LayerPaths.precedes).compactMap { specs[$0] }
        linkSharedContent(&ordered)
        // chmod +x acts on the inode: every name of a hard-linked file gets the mode.
        let wanted = Set(try executables.map { try LayerPaths.normalize($0) })
        let groups = Dictionary(grouping: ordered.indices, by: { Self.contentKey(ordered[$0]) })
        for index in ordered.indices where wanted.contains((try? LayerPaths.normalize(ordered[index].path)) ?? "") {
            for member in groups[Self.contentKey(ordered[index])] ?? [index] { ordered[member].mode = 0o755 }
        }
        return ordered
    }

    /// Copying turns an image's hard links into copies of staged content, and staging shares
    /// one inode between the names of a hard-linked file: names with one staged inode become
    /// hard links again (as BuildKit's COPY keeps them) instead of duplicate content.
    private func linkSharedContent(_ ordered: inout [LayerEntrySpec]) {
        var first: [String: String] = [:]  // inode -> path carrying the content
        for index in ordered.indices {
            guard case .file(let file) = ordered[index].content,
                  staged.contains((try? LayerPaths.normalize(ordered[index].path)) ?? ""),
                  let inode = Self.inodeKey(file) else { continue }
            if let target = first[inode] {
                ordered[index].content = .hardlink(target: target)
            } else {
                first[inode] = ordered[index].path
            }
        }
    }

    /// Specs sharing content: a hard link and its target map to the target's path.
    private static func contentKey(_ spec: LayerEntrySpec) -> String {
        let path: String
        if case .hardlink(let target) = spec.content { path = target } else { path = spec.path }
        return (try? LayerPaths.normalize(path)) ?? path
    }

    private static func inodeKey(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }
}
