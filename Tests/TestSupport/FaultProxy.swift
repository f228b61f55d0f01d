import Foundation

/// Control of a scripts/fault-proxy.py instance (the one in front of the plain registry by
/// default; `TestWorld.faultProxy` is the one in front of the token registry): arm a fault for requests whose path contains `match`, read what it recorded.
public struct FaultProxy: Sendable {
    public let address: String

    public init(address: String = TestWorld.plainProxy) { self.address = address }

    public struct ControlError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `POST /__fault/KIND?match=…&count=…&extra…`.
    public func arm(_ kind: String, match: String, count: Int = 1, _ parameters: [String: String] = [:]) throws {
        var query = ["match": match, "count": String(count)]
        query.merge(parameters) { _, new in new }
        let encoded = query.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }
            .joined(separator: "&")
        let result = try Command.run("/usr/bin/curl", ["-fsS", "-X", "POST", "http://\(address)/__fault/\(kind)?\(encoded)"])
        guard result.status == 0 else { throw ControlError(description: "arming \(kind) at \(address): \(result.stderr)") }
    }

    /// The proxy's counters (requests, faults, tag pages, redirects with and without credentials).
    public func stats() throws -> [String: Int] {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "http://\(address)/__stats"])
        return try JSONDecoder().decode([String: Int].self, from: Data(result.stdout.utf8))
    }

    /// Disarms every fault and zeroes the counters.
    public func reset() throws {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "-X", "POST", "http://\(address)/__reset"])
        guard result.status == 0 else { throw ControlError(description: "resetting \(address): \(result.stderr)") }
    }

    /// Paths of the uploads a `stall` fault has held so far.
    public func stalledUploads(matching match: String) throws -> [String] {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "http://\(address)/__stalled?match=\(match)"])
        return try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
    }
}
