import OCI

/// One entry to put in a layer being written.
public struct LayerEntrySpec: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case directory
        /// A local file, streamed from disk in chunks while the layer is written.
        case file(path: String)
        /// Content a merged filesystem staged from an image (`COPY --from`). Names with the same
        /// staged content are one file: the layer gets it once and hard links for the others.
        case staged(StagedContent)
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
    /// sha256 of the compressed blob: the manifest's layer digest.
    public let digest: Digest
    /// sha256 of the uncompressed tar: the config's `rootfs.diff_ids` entry.
    public let diffID: Digest
    /// Size of the compressed blob in bytes.
    public let size: Int64
    public let compression: Compression
    /// The blob in the cache.
    public let path: String
    /// Its regular files (hard-linked names too), in tar order, hashed as they were written.
    public let files: [WrittenFile]
}

/// A regular file of a written layer: what an SBOM lists for it. Its hashes are kept as bytes
/// (a layer of 100,000 files keeps 100,000 of these until the SBOM is written).
public struct WrittenFile: Sendable, Hashable {
    /// Normalized, without the leading "/": the layer's own path string, shared.
    let relativePath: String
    let sha256Bytes: SIMD32<UInt8>
    let sha1Bytes: SIMD32<UInt8>
    public let size: Int64

    init(relativePath: String, sha256: SIMD32<UInt8>, sha1: SIMD32<UInt8>, size: Int64) {
        self.relativePath = relativePath
        sha256Bytes = sha256
        sha1Bytes = sha1
        self.size = size
    }

    /// A file as a record of an earlier run lists it; nil when a hash is not hex of its length.
    public init?(path: String, sha256: String, sha1: String, size: Int64) {
        guard path.hasPrefix("/"), let sha256Bytes = Self.bytes(sha256, count: 32), let sha1Bytes = Self.bytes(sha1, count: 20) else { return nil }
        self.init(relativePath: String(path.dropFirst()), sha256: sha256Bytes, sha1: sha1Bytes, size: size)
    }

    private static func bytes(_ hex: String, count: Int) -> SIMD32<UInt8>? {
        let digits = Array(hex.utf8)
        guard digits.count == count * 2 else { return nil }
        var bytes = SIMD32<UInt8>()
        for index in 0..<count {
            guard let high = Self.nibble(digits[index * 2]), let low = Self.nibble(digits[index * 2 + 1]) else { return nil }
            bytes[index] = high << 4 | low
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// Absolute in the image (`/opt/harness/bin/harness-sam-plugin`).
    public var path: String { "/" + relativePath }
    /// Lowercase hex.
    public var sha256: String { Self.hex(sha256Bytes, count: 32) }
    public var sha1: String { Self.hex(sha1Bytes, count: 20) }

    /// The same file's hashes under another name (a hard link).
    func named(_ relativePath: String) -> WrittenFile {
        WrittenFile(relativePath: relativePath, sha256: sha256Bytes, sha1: sha1Bytes, size: size)
    }

    private static func hex(_ bytes: SIMD32<UInt8>, count: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: count * 2) { buffer in
            for index in 0..<count {
                buffer[index * 2] = digits[Int(bytes[index] >> 4)]
                buffer[index * 2 + 1] = digits[Int(bytes[index] & 0x0f)]
            }
            return count * 2
        }
    }
}

/// SHA-256 and SHA-1 of one file's content, taken while it is archived.
final class FileHashes {
    private let sha256 = SHA256Hasher()
    private let sha1 = SHA1Hasher()
    func update(_ bytes: UnsafeRawBufferPointer) {
        sha256.update(bytes)
        sha1.update(bytes)
    }
    func file(at relativePath: String, size: Int64) -> WrittenFile {
        WrittenFile(relativePath: relativePath, sha256: Self.bytes(sha256.finalizeBytes()), sha1: Self.bytes(sha1.finalizeBytes()), size: size)
    }
    private static func bytes(_ array: [UInt8]) -> SIMD32<UInt8> {
        var result = SIMD32<UInt8>()
        for (index, byte) in array.prefix(32).enumerated() { result[index] = byte }
        return result
    }
}
