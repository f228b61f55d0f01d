#if canImport(Glibc)
import Glibc
#endif

/// Image paths as a layer stores them: relative to the root, "/"-separated, without empty,
/// "." or trailing components ("opt/harness/bin"). The root itself is "".
///
/// Paths are compared and split as UTF-8 bytes, never as Swift `Character`s: Swift's `==`,
/// `hasPrefix` and hashing treat canonically equivalent strings (NFC and NFD "é") as equal,
/// and a combining mark after "/" would glue onto it; a tar does neither.
enum LayerPath {
    /// The longest name a layer may hold, in bytes: Linux's PATH_MAX, so nothing longer could be
    /// extracted by any runtime anyway. Symlink targets share it.
    static let maximumLength = 4096
    /// The deepest name a layer may hold, in components: far beyond real trees, and it bounds
    /// the directories one entry can make (each costs the merged view a node).
    static let maximumDepth = 256

    /// Refuses a name beyond the limits above, measured on its normalized form (a leading "/" or
    /// "./" costs nothing); `raw` is how the error shows it. A symlink target is measured as is.
    /// `length` is the name's own byte count when its text is an escaped form (not UTF-8).
    static func checkLimits(raw: String, normalized: String?, length: Int? = nil) throws(LayerError) {
        let length = length ?? (normalized ?? raw).utf8.count
        if length > maximumLength {
            throw .pathLimit(path: raw, detail: "is \(length) bytes long; layer paths are limited to \(maximumLength) bytes")
        }
        guard let normalized, !normalized.isEmpty else { return }
        let depth = normalized.utf8.reduce(1) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 }
        if depth > maximumDepth {
            throw .pathLimit(path: raw, detail: "has \(depth) components; layer paths are limited to \(maximumDepth)")
        }
    }

    /// A path a recipe asks for ("/opt/harness/bin/x"); `..` and NUL are refused, not resolved.
    static func normalize(_ path: String, allowRoot: Bool = false) throws(LayerError) -> String {
        // Already normalized (every path a copy makes): the same string, no new one.
        if isNormalized(path) { return path }
        if path.utf8.contains(0) { throw .invalidPath(path, reason: "contains a NUL byte") }
        let cleaned = clean(path)
        if !cleaned.safe { throw .invalidPath(path, reason: "\"..\" components are not allowed") }
        if cleaned.path.isEmpty && !allowRoot { throw .invalidPath(path, reason: "empty path") }
        try checkLimits(raw: path, normalized: cleaned.path)
        return cleaned.path
    }

    /// Non-empty, within the limits, and what `clean` would leave unchanged.
    static func isNormalized(_ path: String) -> Bool {
        var length = 0, depth = 1, componentLength = 0, dots = 0
        for byte in path.utf8 {
            length += 1
            switch byte {
            case 0: return false
            case UInt8(ascii: "/"):
                if componentLength == 0 || componentLength == dots && dots <= 2 { return false }
                depth += 1
                componentLength = 0
                dots = 0
            case UInt8(ascii: "."):
                componentLength += 1
                dots += 1
            default:
                componentLength += 1
            }
        }
        if componentLength == 0 || componentLength == dots && dots <= 2 { return false }
        return length <= maximumLength && depth <= maximumDepth
    }

    /// A name read from a tar ("./usr/bin/", "/etc/x"): leading "/" and "." parts dropped, as Docker
    /// does; any `..` marks it unsafe (stricter than a lexical clean, which could hide an escape).
    static func clean(_ name: String) -> (path: String, safe: Bool) {
        var parts: [Substring] = []
        var safe = true
        for part in components(name) {
            if part.utf8.elementsEqual(".".utf8) { continue }
            if part.utf8.elementsEqual("..".utf8) { safe = false }
            parts.append(part)
        }
        return (parts.joined(separator: "/"), safe)
    }

    static func components(_ path: String) -> [Substring] {
        path.utf8.split(separator: UInt8(ascii: "/")).map { Substring($0) }
    }

    /// The parent of a normalized path ("" for a top-level entry), nil for the root.
    static func parent(of path: String) -> String? {
        guard !path.isEmpty else { return nil }
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return String(path[..<slash])
    }

    /// The last component of a normalized path.
    static func baseName(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[path.utf8.index(after: slash)...])
    }

    /// `path` is `root` or below it.
    static func isWithin(_ path: String, _ root: String) -> Bool {
        if root.isEmpty { return true }
        guard path.utf8.starts(with: root.utf8) else { return false }
        let rest = path.utf8.dropFirst(root.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/")
    }

    /// Joins a normalized relative path onto a normalized base ("" is the root).
    static func join(_ base: String, _ relative: String) -> String {
        if base.isEmpty { return relative }
        if relative.isEmpty { return base }
        return base + "/" + relative
    }

    /// Tar order: bytewise on UTF-8, so a parent always sorts before its children.
    static func precedes(_ a: String, _ b: String) -> Bool {
        // memcmp on the contiguous bytes: sorting a deep tree compares long common prefixes.
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let common = min(x.count, y.count)
                if common > 0, let left = x.baseAddress, let right = y.baseAddress {
                    let order = memcmp(left, right, common)
                    if order != 0 { return order < 0 }
                }
                return x.count < y.count
            }
        }
    }
}

/// A dictionary key that compares paths by their bytes (see `LayerPath`).
struct PathKey: Hashable, Sendable {
    let bytes: [UInt8]
    init(_ path: some StringProtocol) { bytes = Array(path.utf8) }
    init(bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }

    /// All bytes at once: `[UInt8]`'s own hashing feeds the hasher one element at a time,
    /// which dominated merging and writing large trees.
    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
