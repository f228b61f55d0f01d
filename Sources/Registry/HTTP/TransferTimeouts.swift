import Foundation

/// How long one transfer may wait, and for what. A registry that accepts the connection and
/// never answers, or stops sending mid-body, is given up on after these, never waited on
/// without bound: each is a transient failure (retried within the retry budget).
public struct TransferTimeouts: Sendable, Hashable {
    /// TCP and TLS connection set-up.
    public var connect: Double
    /// From the request going out (its body sent) to the first byte of the answer.
    public var firstByte: Double
    /// No byte moving either way for this long, once the exchange has started.
    public var stall: Double

    public init(connect: Double = 30, firstByte: Double = 60, stall: Double = 60) {
        self.connect = connect
        self.firstByte = firstByte
        self.stall = stall
    }
}

/// A point in time every registry request of a command must end by (`--timeout`), on the
/// monotonic clock (a changed wall clock moves nothing).
public struct Deadline: Sendable, Hashable {
    public let uptimeNanoseconds: UInt64
    /// What the user gave, for the error (`--timeout 90s`).
    public let limit: Double

    public init(seconds: Double) {
        limit = seconds
        uptimeNanoseconds = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, seconds) * 1_000_000_000)
    }

    /// Seconds left; 0 once passed.
    public var remaining: Double {
        let now = DispatchTime.now().uptimeNanoseconds
        return now >= uptimeNanoseconds ? 0 : Double(uptimeNanoseconds - now) / 1_000_000_000
    }

    public var hasPassed: Bool { remaining <= 0 }
}

/// Why a transfer was aborted by its own clock.
enum TimeoutCause: Sendable {
    case firstByte(Double)
    case stall(Double)
    case deadline

    var isDeadline: Bool {
        if case .deadline = self { return true }
        return false
    }

    var message: String {
        switch self {
        case .firstByte(let seconds): return "no response within \(formatDelay(seconds))"
        case .stall(let seconds): return "no data for \(formatDelay(seconds))"
        case .deadline: return "the command's --timeout ran out"
        }
    }
}

/// `90s`, `5m`, `1h30m`, `1.5s`, `500ms`, or plain seconds (`90`): a `--timeout` value.
public func parseDuration(_ text: String) -> Double? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if let seconds = Double(trimmed), seconds.isFinite { return seconds }
    var total = 0.0
    var number = ""
    var rest = Substring(trimmed)
    guard !rest.isEmpty else { return nil }
    while let character = rest.first {
        if character.isNumber || character == "." {
            number.append(character)
            rest = rest.dropFirst()
            continue
        }
        guard let value = Double(number) else { return nil }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
        total += value * scale
        rest = rest.dropFirst(unit.count)
        number = ""
    }
    return number.isEmpty ? total : nil
}
