import Streams

/// How a layer blob is compressed, told by its first bytes (media types can be wrong, and a
/// docker archive has none). Only what the OCI and Docker layer media types name is read:
/// gzip, zstd and plain tar. Everything else is refused by name before any decoder sees it:
/// libarchive's "read everything" mode runs external programs (`lrzip -d`, `lzop -d`,
/// `grzip -d`) for some formats, and xz may ask for a 1 GiB dictionary in-process.
public enum LayerCompression: String, Sendable, Equatable {
    case gzip, zstd, none

    /// Enough bytes to tell every format below apart.
    static let magicLength = 16

    /// Compressions layers never use, with the magic bytes that announce them.
    static let refused: [(name: String, magic: [UInt8])] = [
        ("xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]),
        ("bzip2", Array("BZh".utf8)),
        ("compress (.Z)", [0x1F, 0x9D]),
        ("lzip", Array("LZIP".utf8)),
        ("lz4", [0x04, 0x22, 0x4D, 0x18]),
        ("lz4 (legacy)", [0x02, 0x21, 0x4C, 0x18]),
        ("lrzip", Array("LRZI".utf8)),
        ("lzop", [0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A]),
        ("grzip", Array("GRZipII".utf8) + [0x00, 0x02, 0x04, 0x3A, 0x29]),
    ]

    /// The compression `prefix` (a blob's first bytes, fewer at its end) announces; anything
    /// unrecognized is left to the tar reader as plain tar, which refuses what is not a tar.
    static func detect(_ prefix: some Collection<UInt8>) throws(LayerError) -> LayerCompression {
        if prefix.starts(with: [0x1F, 0x8B]) { return .gzip }
        if prefix.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if let format = refused.first(where: { prefix.starts(with: $0.magic) }) {
            throw .unsupportedCompression(format.name)
        }
        return .none
    }

    /// The uncompressed stream of a layer blob, with the decoder its first bytes call for (an
    /// in-process one: gzip, zstd; plain tar as it is; anything else refused by name).
    public static func decoding(_ source: ByteSource) throws -> ByteSource {
        let peeked = try PeekedSource(source, count: magicLength)
        switch try detect(peeked.prefix) {
        case .gzip: return try GunzipSource(peeked)
        case .zstd: return try ZstdSource(peeked)
        case .none: return peeked
        }
    }
}
