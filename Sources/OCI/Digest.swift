/// A content digest, `sha256:` followed by 64 lowercase hex characters.
/// Validated on construction so it is safe to put in a URL or a file path.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let hex: String
    public var algorithm: String { "sha256" }
    public var description: String { "sha256:" + hex }
    /// First 12 hex characters, as `docker images` shows them.
    public var short: String { String(hex.prefix(12)) }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case unsupportedAlgorithm(String)
        case malformed(String)
        public var description: String {
            switch self {
            case .unsupportedAlgorithm(let value): return "unsupported digest algorithm in \"\(escapedForMessage(value))\" (only sha256 is supported)"
            case .malformed(let value): return "malformed digest \"\(escapedForMessage(value))\" (expected sha256: and 64 lowercase hex characters)"
            }
        }
    }

    public init(_ string: String) throws(ParseError) {
        guard let colon = string.firstIndex(of: ":") else { throw .malformed(string) }
        let algorithm = string[..<colon]
        let hex = string[string.index(after: colon)...]
        guard algorithm == "sha256" else {
            if algorithm.isEmpty || !algorithm.allSatisfy({ $0.isLetter || $0.isNumber || "+.-_".contains($0) }) {
                throw .malformed(string)
            }
            throw .unsupportedAlgorithm(string)
        }
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw .malformed(string)
        }
        self.hex = String(hex)
    }

    init(uncheckedSHA256Hex hex: String) { self.hex = hex }

    /// SHA-256 of a byte buffer already in memory (manifests, configs: small by construction).
    public static func of<Bytes: Sequence>(_ bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        let hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do { try self.init(string) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
