/// A content descriptor: what a manifest says about a blob or a child manifest.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var platform: Platform?
    public var annotations: [String: String]?
    public var urls: [String]?
    /// OCI 1.1: what kind of artifact a referrer is (`application/spdx+json`, …).
    public var artifactType: String?

    public init(mediaType: String, digest: Digest, size: Int64, platform: Platform? = nil,
                annotations: [String: String]? = nil, urls: [String]? = nil, artifactType: String? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
        self.urls = urls
        self.artifactType = artifactType
    }

    enum CodingKeys: String, CodingKey { case mediaType, digest, size, platform, annotations, urls, artifactType }

    /// As synthesized, but a negative size (from a registry or a file) is a decoding error, so
    /// no later arithmetic on sizes (tar padding, limits, totals) ever sees one.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try container.decode(String.self, forKey: .mediaType)
        digest = try container.decode(Digest.self, forKey: .digest)
        size = try container.decode(Int64.self, forKey: .size)
        guard size >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .size, in: container, debugDescription: "negative size \(size)")
        }
        platform = try container.decodeIfPresent(Platform.self, forKey: .platform)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
        urls = try container.decodeIfPresent([String].self, forKey: .urls)
        artifactType = try container.decodeIfPresent(String.self, forKey: .artifactType)
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
        public var description: String { "invalid platform \"\(escapedForMessage(value))\" (expected os/arch[/variant], e.g. linux/amd64)" }
    }

    /// Parses `os/arch[/variant]`, lowercased, with the usual architecture aliases normalized
    /// as containerd does (`x86_64` → `amd64`, `aarch64` → `arm64`, …).
    public init(parsing value: String) throws(ParseError) {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") } })
        else { throw ParseError(value: value) }
        var architecture = parts[1]
        var variant = parts.count == 3 ? parts[2] : nil
        switch architecture {
        case "x86_64", "x86-64": architecture = "amd64"
        case "aarch64": architecture = "arm64"
        case "i386", "i686": architecture = "386"
        case "armhf": architecture = "arm"; variant = variant ?? "v7"
        case "armel": architecture = "arm"; variant = variant ?? "v6"
        default: break
        }
        if let v = variant, v.count == 1, v.first!.isNumber { variant = "v" + v }   // arm/7 → arm/v7
        self.init(os: parts[0], architecture: architecture, variant: variant)
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    /// Whether an index entry satisfies a requested platform. A request without a variant
    /// matches any variant (as `docker pull --platform linux/arm64` picks v8). A request with a
    /// variant also matches an entry that leaves out the architecture's default variant:
    /// `arm64` is `arm64/v8`, `arm` is `arm/v7`, `amd64` is `amd64/v1` (containerd's rules).
    public func satisfies(_ wanted: Platform) -> Bool {
        guard os.lowercased() == wanted.os.lowercased(),
              Self.normalizedArchitecture(architecture) == Self.normalizedArchitecture(wanted.architecture)
        else { return false }
        guard wanted.variant != nil else { return true }
        let arch = Self.normalizedArchitecture(architecture)
        return Self.normalizedVariant(variant, architecture: arch) == Self.normalizedVariant(wanted.variant, architecture: arch)
    }

    static func normalizedArchitecture(_ architecture: String) -> String {
        switch architecture.lowercased() {
        case "x86_64", "x86-64": return "amd64"
        case "aarch64": return "arm64"
        case "i386", "i686": return "386"
        case "armhf", "armel": return "arm"
        case let other: return other
        }
    }

    static func normalizedVariant(_ variant: String?, architecture: String) -> String? {
        var value = variant?.lowercased()
        if let v = value, v.count == 1, v.first!.isNumber { value = "v" + v }
        if value == nil || value == "" {
            switch architecture {
            case "arm64": return "v8"
            case "arm": return "v7"
            case "amd64": return "v1"
            default: return nil
            }
        }
        return value
    }
}
