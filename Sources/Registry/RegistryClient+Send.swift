import Foundation
import OCI
import Streams

extension RegistryClient {
    /// Sends an authenticated request to a registry API path, re-authenticating once on a 401
    /// (expired token, insufficient scope). Returns the response whatever its status.
    ///
    /// A pull (GET or HEAD of a repository this run does not push to) that the registry refuses
    /// with 403 because it carried the stored credentials (a stale ECR Public token refuses even
    /// public images) is tried once without them; when that works, the run's other pulls from
    /// the host go anonymously too, said once in a warning. The rule is the answer's (a 403 to
    /// credentials), not a host name's; credentials the token service rejects stay an error.
    func send(host: String, method: String, path: String, headers: [(name: String, value: String)] = [],
              body: ByteSource? = nil, bodyLength: Int64? = nil, scopes: [Scope], sink: ByteSink? = nil,
              interruptible: Bool = true, retryable: Bool = true, followRedirects: Bool = true) async throws -> HTTPResponse {
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
        let state = hostState(host)
        let pull = isPull(method: method, scopes: scopes, host: host)
        let anonymous = pull && withLock { state.pullsAnonymously }
        var authorization = sendsCredentials
            ? try await self.authorization(host: host, scopes: scopes, anonymous: anonymous, interruptible: interruptible) : nil
        let authenticated = authorization != nil && !anonymous
        var attempt = 0
        while true {
            attempt += 1
            if let authorization { request.setHeader("Authorization", authorization) }
            var response = try await exchange(request, host: host, sink: sink, followRedirects: followRedirects)
            response.authenticated = authenticated
            if response.status == 401, attempt == 1, request.canReplayBody, sendsCredentials {
                // The token may have expired or lack a scope the registry now names: fetch a new one.
                if let challenge = response.headerValues("www-authenticate").lazy.compactMap(Challenge.parse).first {
                    withLock { if state.challenge == nil || state.challenge?.scheme != challenge.scheme { state.challenge = challenge } }
                }
                guard let renewed = try await self.authorization(host: host, scopes: scopes, anonymous: anonymous, rejected: authorization,
                                                                 interruptible: interruptible) else { return response }
                authorization = renewed
                try (request.body as? RewindableSource)?.rewind()
                continue
            }
            if response.status == 403, pull, authenticated, request.canReplayBody {
                let origin = ((try? credentials(for: host)) ?? nil)?.originNote ?? ""
                let words = RegistryErrorBody.summary(response).text
                let refusal = "HTTP 403" + (words.isEmpty ? "" : ": \(words)") + origin
                if let anonymousAnswer = try await pullAnonymously(request, host: host, scopes: scopes, sink: sink,
                                                                   followRedirects: followRedirects, refusal: refusal) {
                    return anonymousAnswer
                }
            }
            observeRateLimit(response, host: host)
            return response
        }
    }

    /// A GET or HEAD needing only pull, on a repository this run does not push to.
    func isPull(method: String, scopes: [Scope], host: String) -> Bool {
        guard method == "GET" || method == "HEAD", !scopes.isEmpty else { return false }
        return scopes.allSatisfy { scope in
            scope.actions == ["pull"] && !options.pushRepositories.contains(Repository(host: host, name: scope.repository))
        }
    }

    /// `request` again without the stored credentials (a token asked for anonymously, or none);
    /// its answer when the registry accepts that, nil when it refuses it too.
    private func pullAnonymously(_ original: HTTPRequest, host: String, scopes: [Scope], sink: ByteSink?, followRedirects: Bool,
                                 refusal: String) async throws -> HTTPResponse? {
        var request = original
        request.headers.removeAll { $0.name.lowercased() == "authorization" }
        do {
            if let anonymous = try await authorization(host: host, scopes: scopes, anonymous: true, interruptible: request.interruptible) {
                request.setHeader("Authorization", anonymous)
            }
        } catch is RegistryError {
            return nil
        }
        let response = try await exchange(request, host: host, sink: sink, followRedirects: followRedirects)
        guard response.status != 401, response.status != 403 else { return nil }
        let state = hostState(host)
        let first = withLock { () -> Bool in
            defer { state.pullsAnonymously = true }
            return !state.pullsAnonymously
        }
        if first {
            options.warn?("\(displayHost(host)) refused the stored credentials for a pull (\(refusal)); pulling from it anonymously"
                          + " for the rest of this run (renew them with samforge login \(displayHost(host)), or remove them with samforge logout \(displayHost(host)))")
        }
        observeRateLimit(response, host: host)
        return response
    }

    /// `perform`, its transport failures in the registry's words.
    func exchange(_ request: HTTPRequest, host: String, sink: ByteSink?, followRedirects: Bool) async throws -> HTTPResponse {
        do { return try await perform(request, host: host, sink: sink, followRedirects: followRedirects) } catch let error as TransportError {
            throw mapTransport(error, host: hostOf(error.url))
        }
    }

    /// --verbose shows a registry's remaining pull allowance whenever it changes.
    func observeRateLimit(_ response: HTTPResponse, host: String) {
        guard let log = options.log, let info = RateLimitInfo(response), info.remaining != nil else { return }
        let state = hostState(host)
        let line = info.verboseLine
        let changed = withLock { () -> Bool in
            defer { state.shownRemaining = line }
            return state.shownRemaining != line
        }
        if changed { log("\(displayHost(host)): \(line)") }
    }
}
