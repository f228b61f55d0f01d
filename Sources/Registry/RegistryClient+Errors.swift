import OCI

extension RegistryClient {
    func mapTransport(_ error: TransportError, host: String) -> RegistryError {
        if let proxy = error.proxy {
            let detail = error.kind == .dns ? "unknown host" : error.kind == .connect ? "connection refused" : error.message
            return .proxyFailed(proxy: proxy, host: host, detail: detail)
        }
        switch error.kind {
        case .dns: return .unreachable(host: host, detail: "unknown host")
        case .connect: return .unreachable(host: host, detail: "connection refused")
        case .tls: return .tlsVerification(host: host, detail: "certificate not trusted")
        case .tlsHandshake: return .unreachable(host: host, detail: "TLS handshake failed (\(error.message))")
        case .timeout: return .unreachable(host: host, detail: error.message == "Timeout was reached" ? "timed out" : error.message)
        default: return .unreachable(host: host, detail: error.message)
        }
    }

    /// The error a non-success response means, in the words of the operation that got it, with
    /// the likely cause where a registry's answer is known to mislead: a 401 to a token just
    /// granted (Harbor's missing project), NAME_UNKNOWN on a push (ECR creates no repository),
    /// a 429 that is a pull allowance used up (Docker Hub).
    func failure(_ response: HTTPResponse, host: String, repository: String, operation: String, reference: String? = nil,
                 push: Bool = false) throws -> RegistryError {
        let summary = RegistryErrorBody.summary(response)
        switch response.status {
        case 401:
            guard let credentials = try credentials(for: host) else {
                return .authenticationRequired(host: host, pushTarget: options.pushHosts.contains(host))
            }
            guard response.authenticated else {
                return .denied(host: host, repository: repository, detail: summary.text.isEmpty ? "credentials do not grant \(operation)" : summary.text)
            }
            let state = hostState(host)
            if withLock({ state.challenge?.scheme }) == .basic {
                // Basic registries answer any refusal with "authentication required": here it means the credentials.
                return .authenticationFailed(host: host, detail: "the registry rejected the credentials (HTTP 401"
                                             + (summary.text.isEmpty ? "" : ": \(summary.text)") + ")" + credentials.originNote)
            }
            let namespace = repository.split(separator: "/").first.map(String.init) ?? repository
            return .refused(what: "\(displayHost(host))/\(repository): \(operation)", status: 401, detail: summary.text,
                            hint: "the registry refused the token it had just granted for it: the project or namespace \"\(namespace)\""
                                + " may not exist (Harbor creates none on push: create it first), or the account has no rights there",
                            kind: .auth)
        case 403:
            // A HEAD's refusal has no words: whose credentials were refused is then the clue.
            let origin = response.authenticated ? ((try credentials(for: host))?.originNote ?? "") : ""
            return .denied(host: host, repository: repository, detail: (summary.text.isEmpty ? "forbidden" : summary.text) + origin)
        case 404:
            if summary.codes.contains("NAME_UNKNOWN") {
                guard push else { return .repositoryUnknown(repository: "\(host)/\(repository)") }
                return .refused(what: "\(displayHost(host))/\(repository)", status: 404, detail: summary.text,
                                hint: "the repository does not exist and the registry creates none on push: create it first"
                                    + " (ECR: aws ecr create-repository, or a CREATE_ON_PUSH repository creation template)", kind: .notFound)
            }
            if let reference, summary.codes.contains("MANIFEST_UNKNOWN") || summary.codes.isEmpty { return .manifestUnknown(reference: reference) }
            return .unexpectedStatus(operation: operation, status: 404, detail: summary.text)
        case 407:
            // Only a proxy asks this (plain HTTP through HTTP_PROXY: its answer comes as ours).
            return .proxyFailed(proxy: ProxySettings.proxy(for: response.url) ?? "the HTTP proxy", host: host,
                                detail: "HTTP 407 (proxy authentication required)")
        case 429:
            if let info = RateLimitInfo(response), info.isExhausted {
                return .pullLimitReached(host: host, info: info, detail: summary.text)
            }
            return .rateLimited(host: host, detail: summary.text.isEmpty ? "too many requests" : summary.text,
                                retryAfter: response.header("retry-after").flatMap(RetryPolicy.parseRetryAfter))
        default:
            return .unexpectedStatus(operation: operation, status: response.status, detail: summary.text,
                                     retryAfter: response.header("retry-after").flatMap(RetryPolicy.parseRetryAfter))
        }
    }
}
