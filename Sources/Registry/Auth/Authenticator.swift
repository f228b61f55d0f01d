import Foundation
import OCI
import Streams

/// Per-host authentication state: the challenge from `/v2/`, the scheme that worked, and
/// bearer tokens cached per scope set until they expire.
final class HostState: @unchecked Sendable {
    var scheme: String?
    var challenge: Challenge?
    var tokens: [String: (token: String, expires: Date)] = [:]
}

struct TokenReply: Decodable {
    var token: String?
    var access_token: String?
    var expires_in: Int?
}

extension RegistryClient {
    /// The Authorization header value for a request needing `scopes`, or nil (anonymous).
    /// `interruptible: false` for the clean-up a signal triggers (its token may need renewing).
    func authorization(host: String, scopes: [Scope], forceRefresh: Bool = false, interruptible: Bool = true) async throws -> String? {
        let state = hostState(host)
        guard let challenge = withLock({ state.challenge }) else { return nil }
        switch challenge.scheme {
        case .basic:
            guard let credentials = try credentials(for: host) else { return nil }
            try checkCredentialTransport(host: host, url: withLock { state.scheme ?? "https" } + "://" + host)
            return credentials.basicHeader
        case .bearer:
            let key = scopes.sorted().map(\.description).joined(separator: " ")
            if !forceRefresh, let cached = withLock({ state.tokens[key] }), cached.expires > Date() {
                return "Bearer " + cached.token
            }
            let (token, lifetime) = try await fetchToken(host: host, challenge: challenge, scopes: scopes, credentials: try credentials(for: host),
                                                       interruptible: interruptible)
            // Renew a little early so a token never expires mid-request.
            let expires = Date().addingTimeInterval(max(1, Double(lifetime) - 10))
            withLock { state.tokens[key] = (token, expires) }
            return "Bearer " + token
        }
    }

    func invalidateTokens(host: String) {
        let state = hostState(host)
        withLock { state.tokens.removeAll() }
    }

    /// Docker token auth: GET realm?service=…&scope=… (Basic credentials when we have them),
    /// or the OAuth2 refresh-token POST for an identity token.
    private func fetchToken(host: String, challenge: Challenge, scopes: [Scope], credentials: Credentials?,
                            interruptible: Bool) async throws -> (String, Int) {
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
            let detail = RegistryErrorBody.summary(response.errorBody).text
            if credentials == nil { throw RegistryError.authenticationRequired(host: host, pushTarget: options.pushHosts.contains(host)) }
            throw RegistryError.authenticationFailed(host: host, detail: detail.isEmpty ? "invalid username or password" : detail)
        default:
            throw RegistryError.unexpectedStatus(operation: "token request to \(hostOf(realm))", status: response.status,
                                                 detail: RegistryErrorBody.summary(response.errorBody).text)
        }
        guard let reply = try? UntrustedJSON.decode(TokenReply.self, from: sink.bytes),
              let token = reply.token ?? reply.access_token, !token.isEmpty else {
            throw RegistryError.invalidResponse(operation: "token request to \(hostOf(realm))", detail: "no token in reply")
        }
        return (token, reply.expires_in ?? 60)
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
