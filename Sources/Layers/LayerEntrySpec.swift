import OCI

/// One entry to put in a layer being written.
public struct LayerEntrySpec: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case directory
        /// A local file, streamed from disk in chunks while the layer is written.
        case file(path: String)
        /// Small literal content (a generated script, a whiteout marker); never for large data.
        case bytes([UInt8])
        /// Target text stored as is.
        case symlink(target: String)
        /// Another path of the same layer (absolute or relative to the root, like `path`).
        case hardlink(target: String)
    }

    /// Absolute in the image ("/opt/harness/bin/x"); a leading "/" and a trailing "/" are optional.
    public var path: String
    /// Permission bits (masked with 0o7777); the file type comes from `content`.
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    public var content: Content

    public init(path: String, mode: UInt32, uid: Int = 0, gid: Int = 0, content: Content) {
        self.path = path
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.content = content
    }

    public static func directory(_ path: String, mode: UInt32 = 0o755) -> LayerEntrySpec {
        LayerEntrySpec(path: path, mode: mode, content: .directory)
    }

    public static func file(_ path: String, mode: UInt32 = 0o644, from localPath: String) -> LayerEntrySpec {
        LayerEntrySpec(path: path, mode: mode, content: .file(path: localPath))
    }

    public static func bytes(_ path: String, mode: UInt32 = 0o644, _ bytes: [UInt8]) -> LayerEntrySpec {
        LayerEntrySpec(path: path, mode: mode, content: .bytes(bytes))
    }

    public static func symlink(_ path: String, to target: String) -> LayerEntrySpec {
        LayerEntrySpec(path: path, mode: 0o777, content: .symlink(target: target))
    }
}

/// A layer blob committed to a `BlobCache`.
public struct WrittenLayer: Sendable, Equatable {
    /// sha256 of the gzip blob: the manifest's layer digest.
    public let digest: Digest
    /// sha256 of the uncompressed tar: the config's `rootfs.diff_ids` entry.
    public let diffID: Digest
    /// Size of the gzip blob in bytes.
    public let size: Int64
    /// The blob in the cache.
    public let path: String
    /// Its regular files (hard-linked names too), in tar order, hashed as they were written.
    public let files: [WrittenFile]
}

/// A regular file of a written layer: what an SBOM lists for it.
public struct WrittenFile: Sendable, Hashable {
    /// Absolute in the image (`/opt/harness/bin/harness-sam-plugin`).
    public let path: String
    /// Lowercase hex.
    public let sha256: String
    public let sha1: String
    public let size: Int64
}

/// SHA-256 and SHA-1 of one file's content, taken while it is archived.
final class FileHashes {
    private let sha256 = SHA256Hasher()
    private let sha1 = SHA1Hasher()
    func update(_ bytes: UnsafeRawBufferPointer) {
        sha256.update(bytes)
        sha1.update(bytes)
    }
    func file(at path: String, size: Int64) -> WrittenFile {
        WrittenFile(path: path, sha256: sha256.finalize().hex, sha1: sha1.finalize(), size: size)
    }
}
