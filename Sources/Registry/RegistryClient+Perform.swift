import Foundation
import OCI
import Streams

extension RegistryClient {
    /// One request with retries (transient statuses and connection failures, when the body can
    /// be replayed and nothing reached the sink yet) and redirects (credentials are dropped when
    /// the host changes: blob downloads redirect to storage that rejects a stray header).
    ///
    /// A redirect's target (a presigned storage URL) is never tried again as it is: after a
    /// failure there, or a 403 from it (the URL expired), the request starts again from the
    /// registry's URL, which hands out a fresh one. Each attempt waits for its turn in the
    /// run's request budget for that host (`--max-requests-per-second`).
    func perform(_ original: HTTPRequest, host: String, sink: ByteSink?, followRedirects: Bool) async throws -> HTTPResponse {
        var request = original
        var redirects = 0
        var attempt = 0
        var restartedAfterStorageRefusal = false
        let counter = sink.map { CountingSink($0) }
        while true {
            attempt += 1
            let current = request
            try checkDeadline(current)
            try await pace(current)
            let tlsOptions = tls(for: hostOf(current.url))
            options.log?("\(current.method) \(redactedURL(current.url))")
            let response: HTTPResponse
            do {
                // The transfer runs on its own thread: task cancellation (a sibling transfer
                // failed) reaches it through the flag its progress callback polls.
                let cancelled = CancellationFlag()
                response = try await withTaskCancellationHandler {
                    try await BlockingWork.run { [transport, options] in
                        try transport.perform(current, tls: tlsOptions, sink: counter, cancelled: cancelled,
                                              timeouts: options.timeouts, deadline: options.deadline)
                    }
                } onCancel: {
                    cancelled.set()
                }
            } catch let error as TransportError where error.kind == .deadline {
                throw commandTimedOut(current)
            } catch let error as TransportError {
                // A body cut mid-way is retried only into a sink that can start again (a small
                // document); a blob's sink has passed the bytes on (its caller resumes with Range).
                let restartable = sink is RestartableSink
                let untouched = (counter?.count ?? 0) == 0
                if error.isTransient, untouched || restartable, request.canRetry, attempt < options.retry.maxAttempts {
                    let delay = options.retry.delay(afterAttempt: attempt, retryAfter: nil)
                    try checkDeadline(current, after: delay)
                    announceRetry(original, in: delay, because: error.message)
                    try await backoff(delay, interruptible: request.interruptible)
                    // Never the redirect's target again: the registry's URL, for a fresh one.
                    request = original
                    try (request.body as? RewindableSource)?.rewind()
                    if !untouched {
                        (sink as? RestartableSink)?.restart()
                        counter?.reset()
                    }
                    continue
                }
                throw error
            }
            options.log?("\(response.status) \(current.method) \(redactedURL(current.url))")

            if response.status == 403, current.url != original.url, !keepsCredentials(from: original.url, to: current.url),
               ["GET", "HEAD"].contains(original.method), !restartedAfterStorageRefusal {
                // Storage refused a presigned URL (expired): the registry hands out a new one.
                restartedAfterStorageRefusal = true
                options.log?("\(hostOf(current.url)) refused the redirect's URL (HTTP 403); asking \(hostOf(original.url)) again")
                request = original
                continue
            }
            if response.status == 429, let info = RateLimitInfo(response), info.isExhausted {
                // A pull allowance used up: a retry only spends requests, unless it resets soon.
                guard let wait = info.reset, wait <= RetryPolicy.maxRetryAfter, attempt < options.retry.maxAttempts,
                      options.deadline.map({ wait < $0.remaining }) ?? true else { return response }
                options.onRetry?("waiting \(formatDelay(wait)) for the pull limit of \(displayHost(host)) to reset (\(info.allowance))")
                try await backoff(wait, interruptible: request.interruptible)
                request = original
                continue
            }
            if RetryPolicy.isRetryable(status: response.status), request.canRetry, attempt < options.retry.maxAttempts {
                let delay = options.retry.delay(afterAttempt: attempt, retryAfter: response.header("retry-after"))
                // A wait the command's --timeout cannot afford: the registry's answer is the error.
                if response.status == 429, let deadline = options.deadline, deadline.remaining <= delay { return response }
                try checkDeadline(current, after: delay)
                announceRetry(current, in: delay, because: "HTTP \(response.status)")
                try await backoff(delay, interruptible: request.interruptible)
                try (request.body as? RewindableSource)?.rewind()
                request = original
                continue
            }
            if followRedirects, [301, 302, 303, 307, 308].contains(response.status), let location = response.header("location") {
                redirects += 1
                guard redirects <= 10 else {
                    throw RegistryError.invalidResponse(operation: "\(original.method) \(redactedURL(original.url))", detail: "too many redirects")
                }
                let target = resolveURL(location, against: current.url)
                var next = current
                next.url = target
                if !keepsCredentials(from: current.url, to: target) {
                    next.headers.removeAll { $0.name.lowercased() == "authorization" }
                    if next.secretBody && response.status != 303 { return response }
                }
                if response.status == 303 { next.method = "GET"; next.body = nil; next.bodyLength = nil }
                if next.body != nil {
                    guard let rewindable = next.body as? RewindableSource else { return response }
                    try rewindable.rewind()
                }
                request = next
                continue
            }
            return response
        }
    }

    /// Waits for the request's turn in its host's budget (`--max-requests-per-second`).
    private func pace(_ request: HTTPRequest) async throws {
        guard !pacer.isEmpty else { return }
        let wait = pacer.reserveTurn(host: hostOf(request.url))
        guard wait > 0 else { return }
        try checkDeadline(request, after: wait)
        if wait >= 1 { options.log?("waiting \(formatDelay(wait)) for \(hostOf(request.url))'s request budget") }
        try await backoff(wait, interruptible: request.interruptible)
    }

    /// No request starts, and no retry waits, past the command's `--timeout`.
    func checkDeadline(_ request: HTTPRequest, after delay: Double = 0) throws {
        guard let deadline = options.deadline, deadline.remaining <= delay else { return }
        throw commandTimedOut(request)
    }

    func commandTimedOut(_ request: HTTPRequest) -> RegistryError {
        .commandTimedOut(limit: options.deadline?.limit ?? 0, operation: "\(request.method) \(redactedURL(request.url))")
    }

    func announceRetry(_ request: HTTPRequest, in delay: Double, because reason: String) {
        let target = redactedURL(request.url).replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
        options.onRetry?("retrying \(request.method) \(target) in \(formatDelay(delay)): \(reason)")
    }

    /// Waits before a retry, in slices, so a signal does not wait out a long Retry-After.
    func backoff(_ delay: Double, interruptible: Bool = true) async throws {
        if let deadline = options.deadline, deadline.remaining <= delay {
            throw RegistryError.commandTimedOut(limit: deadline.limit, operation: "a retry")
        }
        var remaining = delay
        while remaining > 0 {
            if interruptible { try Interruption.check() }
            let slice = min(remaining, 0.1)
            try await Task.sleep(nanoseconds: UInt64(slice * 1_000_000_000))
            remaining -= slice
        }
    }
}
