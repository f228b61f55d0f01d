import OCI
import Registry
import Streams

/// Restarts a blob's whole transfer after a failure another attempt may not meet (a dropped
/// connection, a 429 or 503 on a chunk or on the final PUT of a streamed upload), within one
/// bounded budget per blob. A pipe from a source GET to an upload cannot be rewound, so the
/// registry client cannot resend it; here the transfer starts again: a new GET, a new session.
/// Decided by `RegistryError.isTransient` and its Retry-After, never by message text: a
/// digest or size that does not match is not transient, nor is a signal or a cancellation.
struct BlobRetry: Sendable {
    /// Attempts per blob, the first included: the registry client's own budget (`--retry-times`),
    /// on top of the retries each request gets.
    let attempts: Int
    let policy: RetryPolicy
    let announce: (@Sendable (String) -> Void)?

    /// The run's budget and announcements (the registry client's: `--retry-times`).
    init(policy: RetryPolicy, announce: (@Sendable (String) -> Void)?) {
        self.policy = policy
        attempts = policy.maxAttempts
        self.announce = announce
    }

    func run<T>(_ blob: Descriptor, _ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch let error as RegistryError where error.isTransient && attempt < attempts {
                try Interruption.check()
                try Task.checkCancellation()
                let delay = policy.delay(afterAttempt: attempt, retryAfterSeconds: error.retryAfter)
                announce?("retrying blob \(blob.digest.short) (attempt \(attempt + 1) of \(attempts)) in \(formatDelay(delay)): \(error)")
                try await Self.wait(delay)
            }
        }
    }

    /// In slices, so a signal does not wait out a long Retry-After.
    private static func wait(_ seconds: Double) async throws {
        var remaining = seconds
        while remaining > 0 {
            try Interruption.check()
            let slice = min(remaining, 0.1)
            try await Task.sleep(nanoseconds: UInt64(slice * 1_000_000_000))
            remaining -= slice
        }
    }
}
