import Foundation

extension RegistryClient {
    /// Checks the credentials the client holds for `host` as `docker login` does: `GET /v2/`
    /// authenticated with them (Basic directly; Bearer through a token the issuer grants only
    /// for valid credentials). Returns false when the registry asks for no authentication.
    public func checkCredentials(host: String) async throws -> Bool {
        _ = try await ensureEndpoint(host)
        let state = hostState(host)
        guard withLock({ state.challenge }) != nil else { return false }
        guard try credentials(for: host) != nil else { throw RegistryError.authenticationRequired(host: host, pushTarget: options.pushHosts.contains(host)) }
        let response = try await send(host: host, method: "GET", path: "/v2/", scopes: [])
        switch response.status {
        case 200..<300: return true
        case 401:
            // Basic registries answer any refusal with "authentication required": say what it means here.
            throw RegistryError.authenticationFailed(host: host, detail: "invalid username or password")
        case 403:
            let detail = RegistryErrorBody.summary(response).text
            throw RegistryError.authenticationFailed(host: host, detail: detail.isEmpty ? "forbidden" : detail)
        default:
            throw try failure(response, host: host, repository: "", operation: "login to \(host)")
        }
    }
}
