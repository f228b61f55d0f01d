import Foundation
import OCI
import Streams

/// The OCI distribution API over libcurl: endpoint discovery, auth, retries and redirects
/// live here; blobs, manifests and tags are in the `RegistryClient+*.swift` files.
/// One client is shared by every transfer of a run, so tokens and connections are reused.
public final class RegistryClient: @unchecked Sendable {
    public let options: RegistryOptions
    let transport: CurlTransport
    private let lock = NSLock()
    private var hosts: [String: HostState] = [:]
    private var pings: [String: Task<Void, Error>] = [:]
    private var chunkMinimums: [String: Int64] = [:]
    private var resolvedCredentials: [String: Credentials?] = [:]
    private var badMirrors: Set<String> = []
    private let credentialLock = NSLock()

    /// The minimum PATCH size a registry announced (`OCI-Chunk-Min-Length`), per host.
    var minimumChunk: [String: Int64?] {
        get { withLock { chunkMinimums.mapValues { Optional($0) } } }
    }
    func setMinimumChunk(_ host: String, _ value: Int64?) { withLock { chunkMinimums[host] = value } }

    public init(options: RegistryOptions = RegistryOptions(), transport: CurlTransport = CurlTransport()) {
        self.options = options
        self.transport = transport
    }

    func isBadMirror(_ host: String) -> Bool { withLock { badMirrors.contains(host) } }
    func markBadMirror(_ host: String) { _ = withLock { badMirrors.insert(host) } }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func hostState(_ host: String) -> HostState {
        withLock {
            if let state = hosts[host] { return state }
            let state = HostState()
            hosts[host] = state
            return state
        }
    }

    /// The credentials for `host`, looked up once per run: a lookup may read config.json or run
    /// a credential helper (ecr-login calls AWS), far too costly for every request.
    func credentials(for host: String) throws -> Credentials? {
        // Its own lock, held through the lookup: concurrent first requests wait for one lookup.
        credentialLock.lock()
        defer { credentialLock.unlock() }
        if let known = resolvedCredentials[host] { return known }
        let found = try options.credentials?.credentials(for: host)
        resolvedCredentials[host] = .some(found)
        return found
    }

    func tls(for host: String) -> TLSOptions {
        TLSOptions(caFile: options.caFile, skipVerify: options.isInsecure(host))
    }

    // MARK: endpoint discovery

    /// Pings `/v2/` once per host (concurrent callers share the ping) to learn the scheme
    /// and the auth challenge.
    func ensureEndpoint(_ host: String) async throws -> String {
        let task: Task<Void, Error> = withLock {
            if let existing = pings[host] { return existing }
            let task = Task { try await self.ping(host) }
            pings[host] = task
            return task
        }
        do { try await task.value } catch {
            withLock { pings[host] = nil }
            throw error
        }
        let state = hostState(host)
        return withLock { state.scheme ?? "https" }
    }

    /// HTTPS first; loopback and `--insecure-registry` hosts fall back to plain HTTP when the
    /// server does not speak TLS (as docker and crane do). A certificate that fails
    /// verification is reported, never silently downgraded.
    private func ping(_ host: String) async throws {
        let plainAllowed = isLoopbackHost(host) || options.isInsecure(host)
        let schemes = plainAllowed ? ["https", "http"] : ["https"]
        var lastError: TransportError?
        for scheme in schemes {
            let request = HTTPRequest(method: "GET", url: "\(scheme)://\(host)/v2/")
            do {
                let response = try await perform(request, host: host, sink: DiscardingRestartableSink(), followRedirects: true)
                let state = hostState(host)
                let challenge = response.status == 401 ? response.headerValues("www-authenticate").lazy.compactMap(Challenge.parse).first : nil
                withLock {
                    state.scheme = scheme
                    state.challenge = challenge
                }
                return
            } catch let error as TransportError where scheme == "https" && plainAllowed && error.proxy == nil
                        && (error.kind == .tlsHandshake || error.kind == .other) {
                lastError = error
                continue
            } catch let error as TransportError {
                throw mapTransport(error, host: host)
            }
        }
        throw lastError.map { mapTransport($0, host: host) } ?? RegistryError.unreachable(host: host, detail: "no usable endpoint")
    }

    // MARK: requests

    /// Sends an authenticated request to a registry API path, re-authenticating once on a 401
    /// (expired token, insufficient scope). Returns the response whatever its status.
    func send(host: String, method: String, path: String, headers: [(name: String, value: String)] = [],
              body: ByteSource? = nil, bodyLength: Int64? = nil, scopes: [Scope], sink: ByteSink? = nil,
              interruptible: Bool = true, retryable: Bool = true) async throws -> HTTPResponse {
        let scheme = try await ensureEndpoint(host)
        // `path` may be a Location or Link the registry sent: absolute, host- or path-relative.
        let endpoint = "\(scheme)://\(host)"
        let url = resolveURL(path, against: endpoint + "/")
        var request = HTTPRequest(method: method, url: url, headers: headers, body: body, bodyLength: bodyLength)
        request.interruptible = interruptible
        request.retryable = retryable
        // Credentials go only where the endpoint is: never to another host named in a Location,
        // nor over plain HTTP when the registry speaks HTTPS.
        let sendsCredentials = keepsCredentials(from: endpoint, to: url)
        var authorization = sendsCredentials ? try await self.authorization(host: host, scopes: scopes, interruptible: interruptible) : nil
        var attempt = 0
        while true {
            attempt += 1
            if let authorization { request.setHeader("Authorization", authorization) }
            let response: HTTPResponse
            do { response = try await perform(request, host: host, sink: sink, followRedirects: true) } catch let error as TransportError {
                throw mapTransport(error, host: hostOf(error.url))
            }
            guard response.status == 401, attempt == 1, request.canReplayBody, sendsCredentials else { return response }
            // The token may have expired or lack a scope the registry now names: fetch a new one.
            if let challenge = response.headerValues("www-authenticate").lazy.compactMap(Challenge.parse).first {
                let state = hostState(host)
                withLock { if state.challenge == nil || state.challenge?.scheme != challenge.scheme { state.challenge = challenge } }
            }
            invalidateTokens(host: host)
            guard let renewed = try await self.authorization(host: host, scopes: scopes, forceRefresh: true, interruptible: interruptible) else { return response }
            authorization = renewed
            try (request.body as? RewindableSource)?.rewind()
        }
    }

    /// One request with retries (transient statuses and connection failures, when the body can
    /// be replayed and nothing reached the sink yet) and redirects (credentials are dropped when
    /// the host changes: blob downloads redirect to storage that rejects a stray header).
    func perform(_ original: HTTPRequest, host: String, sink: ByteSink?, followRedirects: Bool) async throws -> HTTPResponse {
        var request = original
        var redirects = 0
        var attempt = 0
        let counter = sink.map { CountingSink($0) }
        while true {
            attempt += 1
            let current = request
            try checkDeadline(current)
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
                    announceRetry(current, in: delay, because: error.message)
                    try await backoff(delay, interruptible: request.interruptible)
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

            if RetryPolicy.isRetryable(status: response.status), request.canRetry, attempt < options.retry.maxAttempts {
                let delay = options.retry.delay(afterAttempt: attempt, retryAfter: response.header("retry-after"))
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
