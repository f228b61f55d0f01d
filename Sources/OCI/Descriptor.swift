/// A content descriptor: what a manifest says about a blob or a child manifest.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var platform: Platform?
    public var annotations: [String: String]?
    public var urls: [String]?

    public init(mediaType: String, digest: Digest, size: Int64, platform: Platform? = nil,
                annotations: [String: String]? = nil, urls: [String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
        self.urls = urls
    }
}

/// `os/architecture[/variant]`, as `--platform` takes it and an index lists it.
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    public static let linuxAMD64 = Platform(os: "linux", architecture: "amd64")

    public struct ParseError: Error, CustomStringConvertible {
        public let value: String
        public var description: String { "invalid platform \"\(value)\" (expected os/arch[/variant], e.g. linux/amd64)" }
    }

    public init(parsing value: String) throws(ParseError) {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." } })
        else { throw ParseError(value: value) }
        self.init(os: parts[0].lowercased(), architecture: parts[1].lowercased(), variant: parts.count == 3 ? parts[2].lowercased() : nil)
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    /// Whether an index entry satisfies a requested platform. A request without a variant
    /// matches any variant (as `docker pull --platform linux/arm64` picks v8).
    public func satisfies(_ wanted: Platform) -> Bool {
        guard os == wanted.os, architecture == wanted.architecture else { return false }
        guard let wantedVariant = wanted.variant else { return true }
        return variant == wantedVariant
    }
}
