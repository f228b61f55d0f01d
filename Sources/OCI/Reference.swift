/// An image reference per the docker/distribution grammar:
/// `[host[:port]/]path[:tag][@sha256:hex]`.
public struct Reference: Hashable, Sendable, CustomStringConvertible {
    /// The registry as the user named it (`docker.io` when omitted).
    public let registry: String
    public let repository: String
    public let tag: String?
    public let digest: Digest?

    public static let dockerHub = "docker.io"
    /// The old name of Docker Hub; normalized to `docker.io` when parsing.
    public static let legacyDockerHub = "index.docker.io"

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case uppercase(String)
        case invalidName(String, reason: String)
        case invalidTag(String)
        case invalidDigest(String, Digest.ParseError)
        case tooLong(String)

        public var description: String {
            switch self {
            case .empty: return "invalid reference \"\": empty"
            case .uppercase(let ref): return "invalid reference \"\(escapedForMessage(ref))\": repository names must be lowercase"
            case .invalidName(let ref, let reason): return "invalid reference \"\(escapedForMessage(ref))\": \(escapedForMessage(reason))"
            case .invalidTag(let ref): return "invalid reference \"\(escapedForMessage(ref))\": tag must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}"
            case .invalidDigest(let ref, let error): return "invalid reference \"\(escapedForMessage(ref))\": \(error.description)"
            case .tooLong(let ref): return "invalid reference \"\(escapedForMessage(ref))\": name longer than 255 characters"
            }
        }
    }

    public init(registry: String, repository: String, tag: String? = nil, digest: Digest? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Parses a reference; a missing tag and digest means `latest`.
    public init(parsing input: String) throws(ParseError) {
        guard !input.isEmpty else { throw .empty }
        // As `docker pull`: 64 hex characters are an image ID, not a repository name.
        if input.utf8.count == 64, input.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
            throw .invalidName(input, reason: "a 64-character hexadecimal string is an image ID, not a repository name")
        }
        // `docker://host/app`, `https://host/app`: say what to write instead of "invalid host".
        if let scheme = input.range(of: "://") {
            let prefix = input[..<scheme.lowerBound]
            let bare = input[scheme.upperBound...]
            guard prefix.contains("/") || prefix.contains(":") || prefix.isEmpty else {
                throw .invalidName(input, reason: "a reference takes no \(prefix)://; write \(bare)")
            }
            throw .invalidName(input, reason: "\"://\" may only start a location (docker://HOST/REPO:TAG), never stand inside a reference")
        }
        var rest = Substring(input)

        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            do { digest = try Digest(String(rest[rest.index(after: at)...])) } catch {
                throw .invalidDigest(input, error)
            }
            rest = rest[..<at]
        }

        // A tag is after the last ':' that follows the last '/', so `host:5000/repo` keeps its port.
        var tag: String?
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let candidate = String(rest[rest.index(after: colon)...])
            guard Self.isValidTag(candidate) else { throw .invalidTag(input) }
            tag = candidate
            rest = rest[..<colon]
        }

        var registry = Self.dockerHub
        var path = rest
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.first == "[" {
                guard Self.isValidHost(first) else {
                    throw .invalidName(input, reason: "invalid registry host \"\(first)\"")
                }
                // docker/distribution's legacy spelling of Docker Hub.
                registry = first == Self.legacyDockerHub ? Self.dockerHub : String(first)
                path = rest[rest.index(after: slash)...]
            }
        }
        guard !path.isEmpty else { throw .invalidName(input, reason: "missing repository name") }
        if path.contains(where: \.isUppercase) { throw .uppercase(input) }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            guard Self.isValidPathComponent(component) else {
                throw .invalidName(input, reason: "invalid repository path component \"\(component)\"")
            }
        }
        var repository = String(path)
        if registry == Self.dockerHub && !repository.contains("/") { repository = "library/" + repository }
        guard registry.count + 1 + repository.count <= 255 else { throw .tooLong(input) }

        if tag == nil && digest == nil { tag = "latest" }
        self.init(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    /// The host to connect to: Docker Hub's API lives at `registry-1.docker.io`.
    public var host: String { registry == Self.dockerHub ? "registry-1.docker.io" : registry }

    /// Tag or digest to put in a manifest URL; the digest wins when both are given.
    public var identifier: String { digest?.description ?? tag ?? "latest" }

    public var repositoryName: String { "\(registry)/\(repository)" }

    public var description: String {
        var text = repositoryName
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    public func withTag(_ tag: String) -> Reference { Reference(registry: registry, repository: repository, tag: tag, digest: nil) }
    public func withDigest(_ digest: Digest) -> Reference { Reference(registry: registry, repository: repository, tag: tag, digest: digest) }

    // MARK: grammar

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`: every tag that reaches a URL or a file name must pass.
    public static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard (1...128).contains(bytes.count) else { return false }
        func word(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f }
        guard word(bytes[0]) else { return false }
        return bytes.dropFirst().allSatisfy { word($0) || $0 == 0x2e || $0 == 0x2d }
    }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
    static func isValidPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        guard !bytes.isEmpty else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7a) }
        guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
        var index = 0
        while index < bytes.count {
            if alnum(bytes[index]) { index += 1; continue }
            // A separator run: ".", "_", "__" or any number of "-".
            var end = index
            while end < bytes.count && !alnum(bytes[end]) { end += 1 }
            let separator = bytes[index..<end]
            let ok = separator.elementsEqual([0x2e]) || separator.elementsEqual([0x5f]) || separator.elementsEqual([0x5f, 0x5f]) || separator.allSatisfy { $0 == 0x2d }
            guard ok else { return false }
            index = end
        }
        return true
    }

    /// Domain components `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` joined by dots, or a bracketed IPv6
    /// address, optionally followed by `:port`.
    static func isValidHost(_ host: Substring) -> Bool {
        var name = host
        if host.first == "[" {
            guard let close = host.firstIndex(of: "]") else { return false }
            let address = host[host.index(after: host.startIndex)..<close]
            // docker/distribution: `\[(?:[a-fA-F0-9:]+)\]` (no embedded IPv4 form).
            guard !address.isEmpty, address.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == ":") }) else { return false }
            let after = host[host.index(after: close)...]
            if after.isEmpty { return true }
            guard after.first == ":" else { return false }
            return isValidPort(after.dropFirst())
        }
        if let colon = host.lastIndex(of: ":") {
            guard isValidPort(host[host.index(after: colon)...]) else { return false }
            name = host[..<colon]
        }
        guard !name.isEmpty else { return false }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard let first = label.first, let last = label.last,
                  first.isASCII && (first.isLetter || first.isNumber), last.isASCII && (last.isLetter || last.isNumber),
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { return false }
        }
        return true
    }

    static func isValidPort(_ port: Substring) -> Bool {
        guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(port) else { return false }
        return value > 0 && value <= 65535
    }
}
