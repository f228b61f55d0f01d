import OCI

/// A repository on a registry host: where blobs and manifests live.
public struct Repository: Hashable, Sendable, CustomStringConvertible {
    /// The host to connect to, with port (`registry-1.docker.io` for Docker Hub).
    public let host: String
    public let name: String

    public init(host: String, name: String) {
        self.host = host
        self.name = name
    }

    public init(_ reference: Reference) {
        self.init(host: reference.host, name: reference.repository)
    }

    public var description: String { "\(host)/\(name)" }
}

/// Loopback hosts get plain HTTP as Docker and crane allow: an exact match on the host part.
public func isLoopbackHost(_ hostAndPort: String) -> Bool {
    var host = Substring(hostAndPort)
    if host.hasPrefix("[") {
        guard let close = host.firstIndex(of: "]") else { return false }
        return host[host.index(after: host.startIndex)..<close] == "::1"
    }
    if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
    if host == "localhost" { return true }
    let octets = host.split(separator: ".", omittingEmptySubsequences: false)
    guard octets.count == 4, octets[0] == "127" else { return false }
    return octets.allSatisfy { UInt8($0) != nil }
}
