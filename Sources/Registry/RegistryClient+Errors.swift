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

    /// The error a non-success response means, in the words of the operation that got it.
    func failure(_ response: HTTPResponse, host: String, repository: String, operation: String, reference: String? = nil) throws -> RegistryError {
        let summary = RegistryErrorBody.summary(response.errorBody)
        switch response.status {
        case 401:
            if try credentials(for: host) == nil { return .authenticationRequired(host: host, pushTarget: options.pushHosts.contains(host)) }
            return .denied(host: host, repository: repository, detail: summary.text.isEmpty ? "credentials do not grant \(operation)" : summary.text)
        case 403:
            return .denied(host: host, repository: repository, detail: summary.text.isEmpty ? "forbidden" : summary.text)
        case 404:
            if summary.codes.contains("NAME_UNKNOWN") { return .repositoryUnknown(repository: "\(host)/\(repository)") }
            if let reference, summary.codes.contains("MANIFEST_UNKNOWN") || summary.codes.isEmpty { return .manifestUnknown(reference: reference) }
            return .unexpectedStatus(operation: operation, status: 404, detail: summary.text)
        case 407:
            // Only a proxy asks this (plain HTTP through HTTP_PROXY: its answer comes as ours).
            return .proxyFailed(proxy: ProxySettings.proxy(for: response.url) ?? "the HTTP proxy", host: host,
                                detail: "HTTP 407 (proxy authentication required)")
        case 429:
            return .rateLimited(host: host, detail: summary.text.isEmpty ? "too many requests" : summary.text,
                                retryAfter: response.header("retry-after").flatMap(RetryPolicy.parseRetryAfter))
        default:
            return .unexpectedStatus(operation: operation, status: response.status, detail: summary.text,
                                     retryAfter: response.header("retry-after").flatMap(RetryPolicy.parseRetryAfter))
        }
    }
}
