import Foundation
import Streams

extension RegistryClient {
    /// Runs `body` again after a transient failure another attempt may not meet, within the
    /// run's retry budget (`--retry-times`): a blob transfer whose streamed body cannot be
    /// rewound (a new GET, a new upload session) or a download that broke mid-body. Decided by
    /// `RegistryError.isTransient` and its Retry-After, never by message text; each retry is
    /// announced, waits in slices a signal ends, and never past `--timeout`. The one loop of its
    /// kind: requests retry inside `perform`, everything larger here.
    /// - Parameter transient: which registry errors another attempt may not meet (default:
    ///   `isTransient`); a caller narrows it when it knows more (a download's DNS failure).
    public func retrying<T>(_ what: String, transient: (RegistryError) -> Bool = { $0.isTransient },
                            _ body: () async throws -> T) async throws -> T {
        let attempts = options.retry.maxAttempts
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch let error as RegistryError where transient(error) && attempt < attempts {
                try Interruption.check()
                try Task.checkCancellation()
                let delay = options.retry.delay(afterAttempt: attempt, retryAfterSeconds: error.retryAfter)
                options.onRetry?("retrying \(what) (attempt \(attempt + 1) of \(attempts)) in \(formatDelay(delay)): \(error)")
                try await backoff(delay)
            }
        }
    }
}
