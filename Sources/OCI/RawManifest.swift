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
            case .notJSON(let detail): return "manifest is not valid JSON: \(escapedForMessage(detail))"
            case .unknownMediaType(let type) where RawManifest.isSchema1(type):
                return "Docker schema1 manifest (\(escapedForMessage(type))) is deprecated and not supported; push the image again with a current Docker or pick a schema2/OCI tag"
            case .unknownMediaType(let type): return "unsupported manifest media type \"\(escapedForMessage(type))\""
            case .tooLarge(let size): return "manifest of \(size) bytes exceeds the \(RawManifest.maximumSize)-byte limit"
            }
        }
    }

    /// Docker's deprecated schema1 media types (signed and unsigned).
    public static let schema1MediaTypes = [
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    ]

    static func isSchema1(_ type: String) -> Bool { schema1MediaTypes.contains(type) }

    /// - Parameter declaredType: the Content-Type the manifest came with, if any (parameters
    ///   such as `; charset=utf-8` are ignored). The document's own `mediaType` field wins;
    ///   OCI allows it to be absent, and then the declared type or the document's shape
    ///   (`manifests` → index, `config` → manifest) decides.
    public init(bytes: [UInt8], declaredType: String? = nil) throws(ParseError) {
        guard bytes.count <= Self.maximumSize else { throw .tooLarge(bytes.count) }
        let document: JSONValue
        do { document = try UntrustedJSON.decode(JSONValue.self, from: bytes) } catch {
            throw .notJSON(Self.summary(of: error))
        }
        guard case .object(let object) = document else { throw .notJSON("the document is not a JSON object") }

        if case .int(1) = object["schemaVersion"] {
            throw .unknownMediaType(object["mediaType"]?.stringValue.flatMap { Self.isSchema1($0) ? $0 : nil } ?? Self.schema1MediaTypes[1])
        }
        let declared = declaredType.flatMap { value -> String? in
            let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            return type.isEmpty ? nil : type
        }
        if let declared, Self.isSchema1(declared) { throw .unknownMediaType(declared) }

        let type: String
        if let field = object["mediaType"] {
            // The document names itself: never second-guess it (a PUT must send this type).
            guard let own = field.stringValue, MediaType.isIndex(own) || MediaType.isManifest(own) else {
                throw .unknownMediaType(field.stringValue ?? "(mediaType is not a string)")
            }
            type = own
        } else {
            let looksLikeIndex = object["manifests"]?.arrayValue != nil
            let looksLikeManifest = object["config"]?.objectValue != nil
            switch (looksLikeIndex, looksLikeManifest) {
            case (true, false): type = declared.flatMap { MediaType.isIndex($0) ? $0 : nil } ?? MediaType.ociIndex
            case (false, true): type = declared.flatMap { MediaType.isManifest($0) ? $0 : nil } ?? MediaType.ociManifest
            default:
                guard let declared, MediaType.isIndex(declared) || MediaType.isManifest(declared) else {
                    throw .unknownMediaType(declared ?? "(none)")
                }
                type = declared
            }
        }
        self.bytes = bytes
        self.mediaType = type
        self.digest = Digest.of(bytes)
    }

    private static func summary(of error: Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
                var text = context.debugDescription
                // Foundation's own sentence has curly quotes and no cause: its debug description.
                if let underlying = context.underlyingError {
                    let detail = (underlying as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? String(describing: underlying)
                    text += " (\(escapedASCII(detail)))"
                }
                return text.split(whereSeparator: \.isNewline).joined(separator: " ")
            @unknown default: break
            }
        }
        return String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    public var isIndex: Bool { MediaType.isIndex(mediaType) }

    public func decodeIndex() throws -> ImageIndex { try UntrustedJSON.decode(ImageIndex.self, from: bytes) }
    public func decodeManifest() throws -> ImageManifest { try UntrustedJSON.decode(ImageManifest.self, from: bytes) }

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
