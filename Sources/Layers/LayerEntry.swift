/// One entry of a layer as read, with its name normalized and its overlay meaning classified.
public struct LayerEntry: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case file, directory, symlink, hardlink
        case characterDevice = "character device", blockDevice = "block device", fifo
    }

    /// What an OCI/AUFS whiteout file means (image-spec layer.md, "Whiteouts").
    public enum Whiteout: Sendable, Equatable {
        /// `DIR/.wh..wh..opq`: lower layers' contents of DIR are hidden ("" is the root).
        case opaque(directory: String)
        /// `DIR/.wh.NAME`: DIR/NAME and its subtree from lower layers are deleted.
        case whiteout(of: String)
        /// Other `.wh..wh.` names (AUFS bookkeeping such as `.wh..wh.plnk`): ignored, as Docker does.
        case metadata
    }

    /// Normalized: no leading "/" or "./", no "." components, no trailing "/". "" is the root.
    public var path: String
    /// The name exactly as stored in the tar (a name that is not UTF-8: see `pathBytes`).
    public var rawPath: String
    /// The normalized name's bytes when they are not valid UTF-8; `path` and `rawPath` then show
    /// each stray byte as `\xNN`. Nil for UTF-8 names (nearly all), whose bytes are `path`'s.
    public var pathBytes: [UInt8]?
    /// The same for a link target that is not UTF-8 (normalized for hard links, as stored for symlinks).
    public var linkTargetBytes: [UInt8]?
    public var kind: Kind
    /// Permission bits only (0o7777).
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    public var size: Int64
    /// Symlink target as stored; hard-link target normalized like `path`.
    public var linkTarget: String?
    public var mtime: Int64
    public var whiteout: Whiteout?
    /// False when the name or hard-link target has a `..` component and could escape the root.
    /// Listing reports such entries; `MergedFilesystem` refuses the layer.
    public var isSafe: Bool
    /// A sparse file (GNU or PAX sparse map): `size` is what it claims, its data may be far less.
    public var isSparse = false

    /// The name and link target are UTF-8 (nothing in them is shown escaped).
    public var isUTF8: Bool { pathBytes == nil && linkTargetBytes == nil }

    public init(path: String, rawPath: String? = nil, kind: Kind, mode: UInt32, uid: Int = 0, gid: Int = 0,
                size: Int64 = 0, linkTarget: String? = nil, mtime: Int64 = 0, whiteout: Whiteout? = nil, isSafe: Bool = true) {
        self.path = path
        self.rawPath = rawPath ?? path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.linkTarget = linkTarget
        self.mtime = mtime
        self.whiteout = whiteout
        self.isSafe = isSafe
    }

    static let whiteoutPrefix = ".wh."
    static let opaqueMarker = ".wh..wh..opq"

    /// Classifies a normalized path by its last component.
    static func classifyWhiteout(_ path: String) -> Whiteout? {
        let name = LayerPath.baseName(path)
        guard name.utf8.starts(with: whiteoutPrefix.utf8) else { return nil }
        let directory = LayerPath.parent(of: path) ?? ""
        if name.utf8.elementsEqual(opaqueMarker.utf8) { return .opaque(directory: directory) }
        if name.utf8.starts(with: ".wh..wh.".utf8) { return .metadata }
        let target = String(name.utf8.dropFirst(whiteoutPrefix.utf8.count)) ?? ""
        // ".wh." and ".wh.." name nothing; ".wh..." (of "..") is left for the caller's safety check.
        if target.isEmpty || target == "." { return .metadata }
        return .whiteout(of: LayerPath.join(directory, target))
    }
}
