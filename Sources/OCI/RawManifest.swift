import Foundation

/// A manifest or index exactly as a registry or layout stored it. Its digest is computed
/// from these bytes and they are never re-serialized, so a copy keeps the digest.
public struct RawManifest: Sendable, Hashable {
    public let bytes: [UInt8]
    public let mediaType: String
    public let digest: Digest

    /// The most a manifest may weigh; real ones are a few KiB.
    public static let maximumSize = 4 * 1024 * 1024

    public enum ParseError: Error, CustomStringConvertible {
        case notJSON(String)
        case unknownMediaType(String)
        case tooLarge(Int)
        public var description: String {
            switch self {
            case .notJSON(let detail): return "manifest is not valid JSON: \(detail)"
            case .unknownMediaType(let type): return "unsupported manifest media type \"\(type)\""
            case .tooLarge(let size): return "manifest of \(size) bytes exceeds the \(RawManifest.maximumSize)-byte limit"
            }
        }
    }

    /// - Parameter declaredType: the Content-Type the manifest came with, if any. The
    ///   document's own `mediaType` field wins; OCI allows it to be absent.
    public init(bytes: [UInt8], declaredType: String? = nil) throws(ParseError) {
        guard bytes.count <= Self.maximumSize else { throw .tooLarge(bytes.count) }
        struct Probe: Decodable { var mediaType: String?; var manifests: [Descriptor]?; var config: Descriptor?; var schemaVersion: Int? }
        let probe: Probe
        do { probe = try JSONDecoder().decode(Probe.self, from: Data(bytes)) } catch {
            throw .notJSON(String(describing: error))
        }
        let declared = declaredType.map { $0.split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? $0 }
        var type = probe.mediaType ?? declared ?? ""
        if type.isEmpty || !(MediaType.isIndex(type) || MediaType.isManifest(type)) {
            if probe.manifests != nil { type = MediaType.ociIndex }
            else if probe.config != nil, type.isEmpty || type == "application/json" { type = MediaType.ociManifest }
        }
        guard MediaType.isIndex(type) || MediaType.isManifest(type) else {
            if probe.schemaVersion == 1 { throw .unknownMediaType("Docker schema1 (deprecated; not supported)") }
            throw .unknownMediaType(type.isEmpty ? "(none)" : type)
        }
        self.bytes = bytes
        self.mediaType = type
        self.digest = Digest.of(bytes)
    }

    public var isIndex: Bool { MediaType.isIndex(mediaType) }

    public func decodeIndex() throws -> ImageIndex { try JSONDecoder().decode(ImageIndex.self, from: Data(bytes)) }
    public func decodeManifest() throws -> ImageManifest { try JSONDecoder().decode(ImageManifest.self, from: Data(bytes)) }

    /// A descriptor naming this manifest.
    public func descriptor(platform: Platform? = nil) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count), platform: platform)
    }

    /// Encodes a manifest we create ourselves, canonically (sorted keys, no escaped slashes),
    /// so the same inputs always give the same digest.
    public static func encoding<T: Encodable>(_ value: T, mediaType: String) throws -> RawManifest {
        let bytes = try CanonicalJSON.encode(value)
        return try RawManifest(bytes: bytes, declaredType: mediaType)
    }
}

public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
