import Foundation

/// The run's request budget per registry (`--max-requests-per-second HOST=N`): requests to HOST
/// start at least 1/N s apart, whichever transfer or matrix entry sends them (ECR Public allows
/// one anonymous pull a second). Each request reserves its turn under a lock; the client waits
/// for it as for a retry (in slices a signal ends, never past the deadline).
final class RequestPacer: @unchecked Sendable {
    private let intervals: [String: UInt64]
    private let lock = NSLock()
    private var nextTurn: [String: UInt64] = [:]

    /// `rates`: requests a second per host, keyed as `RequestPacer.key` spells hosts.
    init(rates: [String: Double]) {
        var intervals: [String: UInt64] = [:]
        for (host, rate) in rates where rate > 0 { intervals[Self.key(host)] = UInt64(1_000_000_000 / rate) }
        self.intervals = intervals
    }

    var isEmpty: Bool { intervals.isEmpty }

    /// `docker.io` is Docker Hub's API host; names are compared in lower case.
    static func key(_ host: String) -> String {
        let lowered = host.lowercased()
        return ["docker.io", "index.docker.io"].contains(lowered) ? "registry-1.docker.io" : lowered
    }

    /// The budget that applies to `host` (`host:port`): its own, else its name's without the port.
    private func interval(for host: String) -> (key: String, nanoseconds: UInt64)? {
        let exact = Self.key(host)
        if let value = intervals[exact] { return (exact, value) }
        let bare = ProxySettings.hostOnly(exact)
        return intervals[bare].map { (bare, $0) }
    }

    /// Reserves the next turn of `host`'s budget: the seconds to wait for it (0 when the host has
    /// no budget or its turn is now).
    func reserveTurn(host: String) -> Double {
        guard let (key, step) = interval(for: host) else { return 0 }
        let now = DispatchTime.now().uptimeNanoseconds
        let turn: UInt64 = lock.withLock {
            let turn = max(now, nextTurn[key] ?? 0)
            nextTurn[key] = turn + step
            return turn
        }
        return Double(turn - now) / 1_000_000_000
    }
}
