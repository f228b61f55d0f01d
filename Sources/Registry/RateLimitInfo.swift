import Foundation

/// A registry's pull allowance, as Docker Hub sends it on manifest GETs and HEADs:
/// `ratelimit-limit: 100;w=21600`, `ratelimit-remaining: 0;w=21600`,
/// `docker-ratelimit-source: 192.0.2.1`, and, when given, when it resets (`ratelimit-reset`,
/// seconds, from the IETF RateLimit header draft these headers follow; else `Retry-After`).
public struct RateLimitInfo: Sendable, Hashable {
    public var limit: Int?
    public var remaining: Int?
    /// The window, in seconds (`w=`).
    public var window: Int?
    public var source: String?
    /// Seconds until the allowance resets, when the registry says.
    public var reset: Double?

    init?(_ response: HTTPResponse) {
        let limitHeader = response.header("ratelimit-limit")
        let remainingHeader = response.header("ratelimit-remaining")
        guard limitHeader != nil || remainingHeader != nil else { return nil }
        let (limit, limitWindow) = Self.parse(limitHeader)
        let (remaining, remainingWindow) = Self.parse(remainingHeader)
        self.limit = limit
        self.remaining = remaining
        window = limitWindow ?? remainingWindow
        source = response.header("docker-ratelimit-source").map { RegistryErrorBody.oneLine(String($0.prefix(64))) }
        reset = response.header("ratelimit-reset").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            ?? response.header("retry-after").flatMap(RetryPolicy.parseRetryAfter)
    }

    /// `100;w=21600` → (100, 21600).
    static func parse(_ value: String?) -> (Int?, Int?) {
        guard let value else { return (nil, nil) }
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let count = parts.first.flatMap { Int($0) }
        let window = parts.dropFirst().first { $0.hasPrefix("w=") }.flatMap { Int($0.dropFirst(2)) }
        return (count, window)
    }

    /// The allowance is used up: a 429 with this is the pull limit, not a burst to back off from.
    var isExhausted: Bool { remaining == 0 }

    /// `100 pulls per 6 h for 192.0.2.1`.
    var allowance: String {
        var text = limit.map { "\($0) pulls" } ?? "the pull allowance"
        if let window { text += " per \(Self.duration(Double(window)))" }
        if let source { text += " for \(source)" }
        return text
    }

    /// `97 of 100 pulls per 6 h left (for 192.0.2.1)`: what --verbose shows.
    var verboseLine: String {
        let left = remaining.map(String.init) ?? "?"
        return "pull allowance: \(left) left of \(allowance) (ratelimit-remaining)"
    }

    /// `40 s`, `12 min`, `6 h`.
    static func duration(_ seconds: Double) -> String {
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600)) h" }
        if seconds >= 60 { return "\(Int((seconds / 60).rounded())) min" }
        return "\(Int(seconds.rounded())) s"
    }
}

/// How a registry host is named to users: Docker Hub's API host as `docker.io`.
func displayHost(_ host: String) -> String { host == "registry-1.docker.io" ? "docker.io" : host }
