import OCI

/// Everything the Layers module can fail with, each rendered as one line for the CLI.
public enum LayerError: Error, Equatable, CustomStringConvertible {
    /// A path given to the writer (or a selector) that cannot name an entry in an image.
    case invalidPath(String, reason: String)
    case invalidSourceDateEpoch(String)
    /// A directory was asked for as a parent but another entry at that path is not a directory.
    case notADirectory(String)
    /// A hard link in a layer being written must point at a regular file of the same layer.
    case hardlinkTargetMissing(link: String, target: String)
    /// A local file changed size while it was being archived.
    case sourceChanged(String)
    case archive(String)
    case compression(String)
    /// libzstd failed (or lacks what a layer needs).
    case zstd(String)
    /// A `--compression` value that names no algorithm or level samforge writes.
    case invalidCompression(String, reason: String)
    /// A layer whose gzip or zstd stream is damaged (bad CRC-32 or ISIZE, cut short, trailing data).
    case decompression(String)
    case io(String)
    /// A layer entry whose name (or hard-link target) would escape the root.
    case unsafeEntry(path: String, layer: Int)
    /// A selector (COPY --from source) that matches nothing in the merged image.
    case missingPath(String)
    /// A selected hard link whose target was not extracted, so its content is unknown.
    case unresolvedHardlink(path: String, target: String)
    case unsupportedEntry(path: String, kind: String)
    /// A file outside the selectors given to `MergedFilesystem`, so its content was not kept.
    case notExtracted(String)
    /// A layer blob compressed with something layers never use (xz, bzip2, lrzip, …).
    case unsupportedCompression(String)
    /// The uncompressed layer does not hash to the config's `rootfs.diff_ids` entry.
    case diffIDMismatch(expected: Digest, actual: Digest)
    /// A path selected for copying whose name (or symlink target) is not UTF-8.
    case nonUTF8Name(path: String)
    /// A name in a layer beyond `LayerPath`'s length or depth limit.
    case pathLimit(path: String, detail: String)
    /// A failure reading one layer of an image: which layer (index when known, digest) and why.
    indirect case inLayer(index: Int?, digest: Digest, LayerError)

    public var description: String {
        switch self {
        case .invalidPath(let path, let reason): return "invalid layer path \"\(path)\": \(reason)"
        case .invalidSourceDateEpoch(let value):
            return "invalid SOURCE_DATE_EPOCH \"\(value)\" (expected a non-negative integer of seconds)"
        case .notADirectory(let path): return "\"\(path)\" has entries below it but is not a directory"
        case .hardlinkTargetMissing(let link, let target):
            return "hard link \"\(link)\" points to \"\(target)\", which is not a regular file in the same layer"
        case .sourceChanged(let path): return "\(path) changed size while it was being archived"
        case .archive(let detail): return "tar: \(detail)"
        case .compression(let detail): return "gzip: \(detail)"
        case .zstd(let detail): return "zstd: \(detail)"
        case .invalidCompression(let value, let reason): return "invalid compression \"\(escapedForMessage(value))\": \(reason)"
        case .decompression(let detail): return detail
        case .io(let detail): return detail
        // Names from a layer are escaped: a hostile one could hold newlines or terminal escapes.
        case .unsafeEntry(let path, let layer): return "layer \(layer) has an unsafe entry \"\(escapedForMessage(path))\" (escapes the root)"
        case .missingPath(let path): return "path \"/\(path)\" not found in the source image"
        case .unresolvedHardlink(let path, let target):
            return "hard link \"/\(escapedForMessage(path))\" points to \"/\(escapedForMessage(target))\", outside the copied paths; copy it too"
        case .unsupportedEntry(let path, let kind): return "cannot copy \"/\(escapedForMessage(path))\": \(kind) entries are not supported"
        case .notExtracted(let path): return "\"/\(escapedForMessage(path))\" was not among the paths selected for extraction"
        case .unsupportedCompression(let name):
            return "the layer is \(name)-compressed; only gzip, zstd and uncompressed tar layers are read"
        case .diffIDMismatch(let expected, let actual):
            return "the uncompressed layer does not match the config's diff_id (expected \(expected), got \(actual))"
        case .nonUTF8Name(let path):
            return "cannot copy \"/\(escapedForMessage(path))\": its name or link target is not UTF-8 (stray bytes shown as \\xNN); new layers hold UTF-8 names only"
        case .pathLimit(let path, let detail):
            let shown = path.utf8.count > 48 ? String(decoding: path.utf8.prefix(48), as: UTF8.self) + "..." : path
            return "path \"\(escapedForMessage(shown))\" \(detail)"
        case .inLayer(let index, let digest, let error):
            let layer = "layer \(index.map { "\($0) " } ?? "")(\(digest))"
            if case .unsafeEntry(let path, _) = error { return "\(layer) has an unsafe entry \"\(escapedForMessage(path))\" (escapes the root)" }
            return "\(layer): \(error.description)"
        }
    }
}
