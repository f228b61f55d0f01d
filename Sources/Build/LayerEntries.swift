import Foundation
import Layers

/// The entries of a layer being planned, in the order the operations made them: a later entry
/// replaces an earlier one for the same path, as a later Dockerfile step overwrites a file (the
/// layer writer keeps the last one). A list, not a map by path: a copy of 100,000 entries is
/// kept once, and the writer sorts it anyway.
struct LayerEntries {
    private var specs: [LayerEntrySpec] = []
    /// Specs (by index) of a local tree's files, which may share an inode (hard links).
    private var treeFiles: Set<Int> = []
    /// Paths to make executable once every entry is in (`chmod +x`).
    var executables: [String] = []

    /// `fromTree`: a file of a local directory tree (`--file ./dir`), whose hard links the
    /// layer keeps (files of one inode).
    mutating func set(_ spec: LayerEntrySpec, fromTree: Bool = false) throws {
        var spec = spec
        spec.path = try LayerPaths.normalize(spec.path)
        if fromTree, case .file = spec.content { treeFiles.insert(specs.count) }
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

    /// The specs, hard links of local trees restored and executables applied. chmod +x acts on
    /// the inode: every name of a file (names sharing staged content, a tree's hard links) gets
    /// the mode. The writer makes names of one staged content hard links again.
    consuming func finished() throws -> [LayerEntrySpec] {
        linkTreeFiles()
        let wanted = Set(try executables.map { try LayerPaths.normalize($0) })
        guard !wanted.isEmpty else { return specs }
        // Only the last spec of a path counts (it is the one written).
        var last: [String: Int] = [:]
        for index in specs.indices where wanted.contains(specs[index].path) { last[specs[index].path] = index }
        var shared: Set<StagedContent> = [], carriers: Set<String> = []
        for index in last.values {
            switch specs[index].content {
            case .staged(let content): shared.insert(content)
            case .hardlink(let target): carriers.insert(target)
            default: carriers.insert(specs[index].path)
            }
            specs[index].mode = 0o755
        }
        for index in specs.indices {
            switch specs[index].content {
            case .staged(let content) where shared.contains(content): specs[index].mode = 0o755
            case .hardlink(let target) where carriers.contains(target): specs[index].mode = 0o755
            case .file where carriers.contains(specs[index].path): specs[index].mode = 0o755
            default: break
            }
        }
        return specs
    }

    /// A local tree's files of one inode become one file and hard links to it (the first name
    /// in tar order carries the content), as docker's COPY and buildah add keep them. Only the
    /// names no later entry replaced count.
    private mutating func linkTreeFiles() {
        guard treeFiles.count > 1 else { return }
        // Paths as bytes: Swift's == would merge the NFC and NFD spellings of a name.
        var paths = Set(treeFiles.map { Array(specs[$0].path.utf8) })
        var surviving: [Int] = []
        for index in specs.indices.reversed() where paths.remove(Array(specs[index].path.utf8)) != nil {
            if case .file = specs[index].content, treeFiles.contains(index) { surviving.append(index) }
        }
        var byInode: [String: [Int]] = [:]
        for index in surviving {
            guard case .file(let file) = specs[index].content, let inode = Self.inodeKey(file) else { continue }
            byInode[inode, default: []].append(index)
        }
        for group in byInode.values where group.count > 1 {
            let ordered = group.sorted { LayerPaths.precedes(specs[$0].path, specs[$1].path) }
            for index in ordered.dropFirst() { specs[index].content = .hardlink(target: specs[ordered[0]].path) }
        }
    }

    private static func inodeKey(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }
}
