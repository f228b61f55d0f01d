import Foundation
import Layers
import OCI
import Streams

/// A local directory added to a layer (`--file ./dir:/opt/dir`, as docker's `COPY dir/` and
/// `buildah add`): every entry below it, found with lstat and never through a symlink, so
/// nothing outside the tree is read; symlinks are kept as links (their target verbatim),
/// permission bits kept (or `mode` for files and directories, as `COPY --chmod`), root-owned.
/// Names must be UTF-8 (a layer's are); FIFOs, sockets and devices are refused.
enum LocalTree {
    struct Entry {
        /// Relative to the tree's root ("" for the root itself), `/`-separated.
        var relative: String
        var kind: Kind
        var mode: UInt32
        enum Kind: Equatable { case directory, file, symlink(String) }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The layer entries for `root` at `destination`, in no particular order (LayerEntries sorts).
    static func specs(_ root: String, destination: String, mode: UInt32?, source: String) throws -> [LayerEntrySpec] {
        try walk(root, source: source).map { entry in
            let path = entry.relative.isEmpty ? destination : destination + "/" + entry.relative
            switch entry.kind {
            case .directory: return .directory(path, mode: mode ?? entry.mode)
            case .file: return .file(path, mode: mode ?? entry.mode, from: root + "/" + entry.relative)
            case .symlink(let target): return .symlink(path, to: target)
            }
        }
    }

    /// Every entry, depth first, names sorted bytewise (so the walk itself is reproducible).
    static func walk(_ root: String, source: String) throws -> [Entry] {
        var info = stat()
        // The root is what the user named (a symlink to a directory is followed there only).
        guard stat(root, &info) == 0 else { throw BuildError.input("\(source): \(OutputPath.reason(errno))") }
        var entries = [Entry(relative: "", kind: .directory, mode: UInt32(info.st_mode) & 0o7777)]
        var pending = [""]
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? root : root + "/" + relative
            for name in try names(in: directory, source: source).reversed() {
                let child = relative.isEmpty ? name : relative + "/" + name
                let path = root + "/" + child
                guard lstat(path, &info) == 0 else { throw BuildError.input("\(source): \(path): \(OutputPath.reason(errno))") }
                let permissions = UInt32(info.st_mode) & 0o7777
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    entries.append(Entry(relative: child, kind: .directory, mode: permissions))
                    pending.append(child)
                case S_IFREG:
                    guard access(path, R_OK) == 0 else { throw BuildError.input("\(source): \(path): \(OutputPath.reason(errno))") }
                    entries.append(Entry(relative: child, kind: .file, mode: permissions))
                case S_IFLNK:
                    let target = try FileManager.default.destinationOfSymbolicLink(atPath: path)
                    entries.append(Entry(relative: child, kind: .symlink(target), mode: 0o777))
                default:
                    throw BuildError.input("\(source): \(escapedForMessage(path)) is a FIFO, socket or device: only files, directories and symlinks are added")
                }
            }
        }
        return entries
    }

    /// A directory's names, bytewise sorted; a name that is not UTF-8 is refused (a layer's
    /// names are UTF-8; Foundation would quietly replace the bytes).
    static func names(in directory: String, source: String) throws -> [String] {
        guard let stream = opendir(directory) else { throw BuildError.input("\(source): \(directory): \(OutputPath.reason(errno))") }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if bytes == Array(".".utf8) || bytes == Array("..".utf8) { continue }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw BuildError.input("\(source): \(escapedForMessage(directory))/\(bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()) is not a UTF-8 name: a layer's names are UTF-8")
            }
            names.append(name)
        }
        return names.sorted(by: LayerPaths.precedes)
    }

    /// The tree's identity for the SBOM and provenance: sha256 of its sorted listing (path,
    /// type, mode, each file's sha256, each link's target), the same wherever the tree is.
    static func digest(_ root: String, source: String) throws -> Digest {
        var listing = ""
        for entry in try walk(root, source: source).sorted(by: { LayerPaths.precedes($0.relative, $1.relative) }) {
            let mode = String(entry.mode, radix: 8)
            switch entry.kind {
            case .directory: listing += "d \(mode) \(entry.relative)\n"
            case .symlink(let target): listing += "l \(entry.relative) -> \(target)\n"
            case .file:
                let hashing = HashingSink()
                try FileSource(path: root + "/" + entry.relative).pump(to: hashing)
                listing += "f \(mode) \(hashing.finalize()) \(entry.relative)\n"
            }
        }
        return Digest.of(Array(listing.utf8))
    }
}
