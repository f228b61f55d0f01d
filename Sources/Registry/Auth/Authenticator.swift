import Foundation
import OCI
import Streams

/// Per-host state of a run: the challenge from `/v2/`, the scheme that worked, bearer tokens,
/// and whether pulls go anonymously because the registry refused the stored credentials.
final class HostState: @unchecked Sendable {
    var scheme: String?
    var challenge: Challenge?
    let tokens = TokenCache()
    /// Tokens asked for without credentials, for anonymous pulls.
    let anonymousTokens = TokenCache()
    /// The registry refused the stored credentials for a pull and took it anonymously (a stale
    /// ECR Public token): the run's other pulls from it go anonymously at once.
    var pullsAnonymously = false
    /// The last `ratelimit-remaining` shown by --verbose.
    var shownRemaining: String?
}

struct TokenReply: Decodable {
    var token: String?
    var access_token: String?
    var expires_in: Int?
}

extension RegistryClient {
    /// The Authorization header value for a request needing `scopes`, or nil (anonymous).
    /// `anonymous`: without the stored credentials (a pull after they were refused).
    /// `rejected`: the value the registry just answered 401 to, never offered again.
    /// `interruptible: false` for the clean-up a signal triggers (its token may need renewing).
    func authorization(host: String, scopes: [Scope], anonymous: Bool = false, rejected: String? = nil,
                       interruptible: Bool = true) async throws -> String? {
        let state = hostState(host)
        guard let challenge = withLock({ state.challenge }) else { return nil }
        let credentials = anonymous ? nil : try credentials(for: host)
        switch challenge.scheme {
        case .basic:
            guard let credentials else { return nil }
            try checkCredentialTransport(host: host, url: withLock { state.scheme ?? "https" } + "://" + host)
            return credentials.basicHeader
        case .bearer:
            let cache = anonymous ? state.anonymousTokens : state.tokens
            if let rejected, rejected.hasPrefix("Bearer ") { cache.reject(String(rejected.dropFirst("Bearer ".count))) }
            let needed = ScopeSet(scopes)
            // The repositories this run pushes to ride along: one token serves the whole run there.
            let requested = credentials == nil ? needed : needed.union(pushScopes(on: host))
            let token = try await cache.token(covering: needed, requesting: requested) { [self] asked in
                do {
                    return try await fetchToken(host: host, challenge: challenge, scopes: asked, credentials: credentials,
                                                interruptible: interruptible)
                } catch let error as RegistryError where asked != needed && error.kind == .auth {
                    // An issuer that refuses the wider scope set outright: ask for what this request needs.
                    return try await fetchToken(host: host, challenge: challenge, scopes: needed, credentials: credentials,
                                                interruptible: interruptible)
                }
            }
            return "Bearer " + token.value
        }
    }

    /// `repository:NAME:pull,push` for each repository of `host` this run pushes to.
    func pushScopes(on host: String) -> ScopeSet {
        ScopeSet(options.pushRepositories.filter { $0.host == host }.map { Scope.push($0.name) })
    }

    /// Docker token auth: GET realm?service=…&scope=… (Basic credentials when we have them),
    /// or the OAuth2 refresh-token POST for an identity token.
    private func fetchToken(host: String, challenge: Challenge, scopes scopeSet: ScopeSet, credentials: Credentials?,
                            interruptible: Bool) async throws -> TokenCache.Token {
        let scopes = scopeSet.scopes
        guard let realm = challenge.realm, var components = URLComponents(string: realm), components.scheme != nil else {
            throw RegistryError.invalidResponse(operation: "authentication with \(host)", detail: "bearer challenge without a usable realm")
        }
        var query = components.queryItems ?? []
        if let service = challenge.service { query.append(URLQueryItem(name: "service", value: service)) }
        let scopeValues = scopes.isEmpty ? (challenge.scope.map { [$0] } ?? []) : scopes.map(\.description)
        var request: HTTPRequest
        if let credentials, let refresh = credentials.identityToken {
            try checkCredentialTransport(host: host, url: realm)
            var form = URLComponents()
            form.queryItems = [URLQueryItem(name: "grant_type", value: "refresh_token"), URLQueryItem(name: "refresh_token", value: refresh),
                               URLQueryItem(name: "client_id", value: "samforge")]
                + (challenge.service.map { [URLQueryItem(name: "service", value: $0)] } ?? [])
                + scopeValues.map { URLQueryItem(name: "scope", value: $0) }
            let body = Array((form.percentEncodedQuery ?? "").utf8)
            request = HTTPRequest(method: "POST", url: realm, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                  body: MemorySource(body), bodyLength: Int64(body.count))
            request.secretBody = true
        } else {
            query += scopeValues.map { URLQueryItem(name: "scope", value: $0) }
            components.queryItems = query
            guard let url = components.url?.absoluteString else {
                throw RegistryError.invalidResponse(operation: "authentication with \(host)", detail: "bad realm \(realm)")
            }
            request = HTTPRequest(method: "GET", url: url)
            if let credentials {
                try checkCredentialTransport(host: host, url: realm)
                request.setHeader("Authorization", credentials.basicHeader)
            }
        }
        request.interruptible = interruptible
        let sink = DocumentSink(limit: 1 << 20)
        let response: HTTPResponse
        do { response = try await perform(request, host: host, sink: sink, followRedirects: true) } catch let error as TransportError {
            throw mapTransport(error, host: hostOf(realm))
        }
        switch response.status {
        case 200..<300: break
        case 401, 403:
            let detail = RegistryErrorBody.summary(response).text
            guard let credentials else { throw RegistryError.authenticationRequired(host: host, pushTarget: options.pushHosts.contains(host)) }
            throw RegistryError.authenticationFailed(host: host, detail: (detail.isEmpty ? "invalid username or password" : detail)
                                                     + credentials.originNote)
        default:
            throw RegistryError.unexpectedStatus(operation: "token request to \(hostOf(realm))", status: response.status,
                                                 detail: RegistryErrorBody.summary(response).text)
        }
        guard let reply = try? UntrustedJSON.decode(TokenReply.self, from: sink.bytes),
              let token = reply.token ?? reply.access_token, !token.isEmpty else {
            throw RegistryError.invalidResponse(operation: "token request to \(hostOf(realm))", detail: "no token in reply")
        }
        // Renew a little early so a token never expires mid-request.
        let lifetime = Double(reply.expires_in ?? 60)
        return TokenCache.Token(value: token, scopes: scopeSet, expires: Date().addingTimeInterval(max(1, lifetime - 10)))
    }

    /// Credentials go over plain HTTP only to loopback hosts and hosts the user named insecure:
    /// the host the URL names, not the registry that named it (a token realm is any URL).
    func checkCredentialTransport(host: String, url: String) throws {
        guard !options.allowsCredentials(to: url) else { return }
        throw RegistryError.insecureCredentials(host: hostOf(url))
    }
}

/// `host[:port]` of an absolute URL.
func hostOf(_ url: String) -> String {
    guard let schemeEnd = url.range(of: "://") else { return url }
    let rest = url[schemeEnd.upperBound...]
    let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
    var authority = rest[..<end]
    if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
    return String(authority)
}
