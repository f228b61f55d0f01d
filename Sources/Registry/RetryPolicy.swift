import Foundation

/// Exponential backoff with jitter for transient failures (408, 429, 5xx gateways, resets,
/// timeouts), honouring `Retry-After`. Bounded in attempts and in each wait.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public init(maxAttempts: Int = 5, baseDelay: Double = 0.25, maxDelay: Double = 10) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    public static func isRetryable(status: Int) -> Bool { [408, 429, 500, 502, 503, 504].contains(status) }

    /// Delay before attempt `attempt + 1` (attempt counts from 1).
    public func delay(afterAttempt attempt: Int, retryAfter: String?) -> Double {
        delay(afterAttempt: attempt, retryAfterSeconds: retryAfter.flatMap(Self.parseRetryAfter))
    }

    /// The registry's `Retry-After` when it gave one (at most a minute), else exponential
    /// backoff with jitter.
    public func delay(afterAttempt attempt: Int, retryAfterSeconds: Double?) -> Double {
        if let retryAfterSeconds { return min(retryAfterSeconds, Self.maxRetryAfter) }
        let exponential = baseDelay * pow(2, Double(attempt - 1))
        return min(maxDelay, exponential) * Double.random(in: 0.5...1.0)
    }

    /// A longer `Retry-After` is waited for this long only: a registry cannot park a run.
    public static let maxRetryAfter: Double = 60

    /// `Retry-After` is either delta-seconds or an HTTP date.
    public static func parseRetryAfter(_ value: String) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }
}

/// `2 s`, `250 ms`: a delay as a retry announcement shows it.
public func formatDelay(_ seconds: Double) -> String {
    seconds >= 1 || seconds <= 0 ? "\(Int(seconds.rounded())) s" : "\(Int((seconds * 1000).rounded())) ms"
}
