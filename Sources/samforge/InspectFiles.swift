import Assembly
import Foundation
import Layers
import OCI

/// `inspect --files N|DIGEST|all`: which layer(s) to list.
enum LayerSelector: Equatable {
    case all
    case layer(Int)

    /// `all`, a layer index of 1 to 3 digits (0 is the bottom layer, as the layer table numbers
    /// them; no image has 1000 layers), or a layer digest: `sha256:HEX`, or a unique hex prefix
    /// of 4 characters or more such as the table's short digest, even when it is all digits
    /// (`1822` is a prefix, never layer 1822).
    init(parsing text: String, layers: [Descriptor]) throws {
        if text == "all" { self = .all; return }
        if (1...3).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }), let index = Int(text) {
            guard layers.indices.contains(index) else {
                throw UsageError("--files \(text): no such layer (the image has \(layers.count) layer\(layers.count == 1 ? "" : "s")\(layers.isEmpty ? "" : ", 0-\(layers.count - 1)"))")
            }
            self = .layer(index)
            return
        }
        let hex = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        guard hex.count >= 4, hex.allSatisfy({ $0.isASCII && $0.isHexDigit && !$0.isUppercase }) else {
            throw UsageError("--files \(text): expected all, a layer index (1 to 3 digits) or a layer digest (4 or more hex digits)")
        }
        let matches = Set(layers.map(\.digest).filter { $0.hex.hasPrefix(hex) })
        guard matches.count == 1, let index = layers.firstIndex(where: { $0.digest.hex.hasPrefix(hex) }) else {
            throw UsageError("--files \(text): " + (matches.isEmpty ? "no layer has that digest" : "more than one layer matches; give more of the digest"))
        }
        self = .layer(index)
    }
}

/// The `files` member of `inspect --json`.
struct FilesView: Encodable {
    /// The listed layer, or nil for the merged filesystem (`--files all`).
    var layer: Int?
    var layerDigest: Digest?
    var merged: Bool
    var entries: [FileEntry]
}

/// One entry as `--files` shows it; `layer` only in the merged view.
struct FileEntry: Encodable {
    var path: String
    var type: String
    var mode: String
    var modeString: String
    var uid: Int
    var gid: Int
    var size: Int64
    var mtime: Int64
    var linkTarget: String?
    /// `whiteout` (`.wh.NAME`), `opaque` (`.wh..wh..opq`) or `metadata` (other `.wh..wh.` names).
    var whiteout: String?
    /// What a whiteout removes from lower layers: the path, or the opaque directory's contents.
    var hides: String?
    var unsafe: Bool?
    /// The name or link target is not UTF-8: `path` / `linkTarget` show its stray bytes as `\xNN`.
    var escaped: Bool?
    var layer: Int?
    /// Which of the two is escaped (for the human view; JSON has `escaped`).
    private var pathEscaped = false, linkEscaped = false

    enum CodingKeys: String, CodingKey {
        case path, type, mode, modeString, uid, gid, size, mtime, linkTarget, whiteout, hides, unsafe, escaped, layer
    }

    init(_ entry: LayerEntry, layer: Int? = nil) {
        path = entry.isSafe ? "/" + entry.path : entry.rawPath
        type = Self.typeName(entry.kind)
        let octal = String(entry.mode, radix: 8)
        mode = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
        modeString = Self.modeString(entry.kind, entry.mode)
        uid = entry.uid
        gid = entry.gid
        size = entry.kind == .file ? entry.size : 0
        mtime = entry.mtime
        switch entry.kind {
        case .symlink: linkTarget = entry.linkTarget
        case .hardlink: linkTarget = entry.linkTarget.map { "/" + $0 }
        default: break
        }
        switch entry.whiteout {
        case .whiteout(let target)?: whiteout = "whiteout"; hides = "/" + target
        case .opaque(let directory)?: whiteout = "opaque"; hides = "/" + directory
        case .metadata?: whiteout = "metadata"
        case nil: break
        }
        unsafe = entry.isSafe ? nil : true
        escaped = entry.isUTF8 ? nil : true
        pathEscaped = entry.pathBytes != nil
        linkEscaped = entry.linkTargetBytes != nil
        self.layer = layer
    }

    /// `tar tv` style: `-rw-r--r-- 0/0        12 /etc/motd`, with `-> target` for symlinks,
    /// `link to /target` for hard links and `[whiteout /path]` / `[opaque /dir]` markers.
    /// Names are shown as GNU tar shows them: control characters escaped (a newline in a name
    /// cannot forge an entry), a backslash as `\\`, a byte that is not UTF-8 as `\xNN`.
    var line: String {
        var text = "\(modeString) \("\(uid)/\(gid)".padded(7)) \(String(size).leftPadded(10)) \(Self.shown(path, escaped: pathEscaped))"
        if type == "symlink", let linkTarget { text += " -> \(Self.shown(linkTarget, escaped: linkEscaped))" }
        if type == "hardlink", let linkTarget { text += " link to \(Self.shown(linkTarget, escaped: linkEscaped))" }
        switch whiteout {
        case "whiteout": text += " [whiteout \(Self.shown(hides ?? "", escaped: pathEscaped))]"
        case "opaque": text += " [opaque \(Self.shown(hides ?? "", escaped: pathEscaped))]"
        case "metadata": text += " [whiteout metadata]"
        default: break
        }
        if unsafe == true { text += " [unsafe: escapes the root]" }
        if let layer { text = String(layer).leftPadded(3) + "  " + text }
        return text
    }

    /// A name for the terminal; `escaped` names (not UTF-8) already show `\\` and `\xNN`.
    static func shown(_ name: String, escaped: Bool) -> String {
        let hasBackslash = name.utf8.withContiguousStorageIfAvailable { $0.contains(UInt8(ascii: "\\")) } ?? name.utf8.contains(UInt8(ascii: "\\"))
        return escapedForMessage(escaped || !hasBackslash ? name : name.replacingOccurrences(of: "\\", with: "\\\\"))
    }

    static func typeName(_ kind: LayerEntry.Kind) -> String {
        switch kind {
        case .file: return "file"
        case .directory: return "directory"
        case .symlink: return "symlink"
        case .hardlink: return "hardlink"
        case .characterDevice: return "char-device"
        case .blockDevice: return "block-device"
        case .fifo: return "fifo"
        }
    }

    /// `drwxr-xr-x`, with setuid/setgid/sticky as s/S and t/T, and `h` for hard links (GNU tar).
    static func modeString(_ kind: LayerEntry.Kind, _ mode: UInt32) -> String {
        let type: Character
        switch kind {
        case .file: type = "-"
        case .directory: type = "d"
        case .symlink: type = "l"
        case .hardlink: type = "h"
        case .characterDevice: type = "c"
        case .blockDevice: type = "b"
        case .fifo: type = "p"
        }
        var text = String(type)
        let specials: [(UInt32, Character, Character)] = [(0o4000, "s", "S"), (0o2000, "s", "S"), (0o1000, "t", "T")]
        for (group, shift) in [6, 3, 0].enumerated() {
            let bits = (mode >> UInt32(shift)) & 7
            text.append(bits & 4 != 0 ? "r" : "-")
            text.append(bits & 2 != 0 ? "w" : "-")
            let (flag, set, unset) = specials[group]
            let execute = bits & 1 != 0
            if mode & flag != 0 { text.append(execute ? set : unset) } else { text.append(execute ? "x" : "-") }
        }
        return text
    }
}

/// Lists layers for `--files`: lines go to stdout as entries are read (nothing is kept), or, for
/// `--json`, entry metadata is collected (never layer content) into a `FilesView`.
enum FilesLister {
    /// `diffIDs` (the config's) are verified for every layer read to its end.
    static func list(_ selector: LayerSelector, image: ImageManifest, diffIDs: [Digest], source: ImageSource, collect: Bool) async throws -> FilesView {
        let collector = EntryCollector(collect: collect)
        switch selector {
        case .layer(let index):
            let layer = image.layers[index]
            let diffID = index < diffIDs.count ? diffIDs[index] : nil
            try await LayerListing.entries(of: layer, index: index, diffID: diffID, from: source) { entry in collector.add(FileEntry(entry)) }
            collector.flush()
            return FilesView(layer: index, layerDigest: layer.digest, merged: false, entries: collector.entries)
        case .all:
            let items = try await LayerListing.merged(image.layers, diffIDs: diffIDs, from: source)
            for item in items { collector.add(FileEntry(item.entry, layer: item.layerIndex)) }
            collector.flush()
            return FilesView(layer: nil, layerDigest: nil, merged: true, entries: collector.entries)
        }
    }
}

/// Prints each entry as it arrives (a 64 KiB buffer keeps it to few writes), or keeps it for
/// JSON. Used from one reading thread at a time; `entries` is read after the reading finished.
final class EntryCollector: @unchecked Sendable {
    private let collect: Bool
    private(set) var entries: [FileEntry] = []
    private var pending = ""

    init(collect: Bool) { self.collect = collect }
    deinit { flush() }

    func add(_ entry: FileEntry) {
        guard !collect else { entries.append(entry); return }
        pending += entry.line + "\n"
        if pending.utf8.count >= 64 << 10 { flush() }
    }

    func flush() {
        guard !pending.isEmpty else { return }
        Output.bytes(Array(pending.utf8))
        pending = ""
    }
}
