import Assembly
import Foundation
import Registry
import Streams

/// A plain HTTP(S) GET to a file over the registry client's libcurl transport, for tool
/// downloads (go-template, the static docker tgz). Redirects are followed here (CDNs redirect)
/// and transient failures retried; TLS trust is the client's (`--ca-file`, `--insecure-registry`).
struct URLDownload: Sendable {
    let transport: CurlTransport
    let options: RegistryOptions
    var maxAttempts = 4

    func fetch(_ url: String, to path: String) async throws {
        var current = url
        var redirects = 0
        var attempt = 0
        while true {
            attempt += 1
            let target = current
            let tls = tlsOptions(for: target)
            options.log?("GET \(redactedURL(target))")
            let response: HTTPResponse
            do {
                response = try await BlockingWork.run { [transport] in
                    let sink = try FileSink(path: path)
                    defer { try? sink.close() }
                    return try transport.perform(HTTPRequest(method: "GET", url: target), tls: tls, sink: sink)
                }
            } catch let error as TransportError {
                if error.isTransient, attempt < maxAttempts {
                    try await pause(attempt)
                    continue
                }
                throw SAMBuildError.download(url: redactedURL(url), detail: error.message)
            }
            options.log?("\(response.status) GET \(redactedURL(target))")
            switch response.status {
            case 200..<300:
                return
            case 301, 302, 303, 307, 308:
                guard let location = response.header("location"), redirects < 10,
                      let next = URL(string: location, relativeTo: URL(string: target))?.absoluteURL.absoluteString else {
                    throw SAMBuildError.download(url: redactedURL(url), detail: "bad or endless redirect")
                }
                redirects += 1
                current = next
            case 408, 429, 500, 502, 503, 504:
                guard attempt < maxAttempts else { throw SAMBuildError.download(url: redactedURL(url), detail: "HTTP \(response.status)") }
                try await pause(attempt)
            default:
                throw SAMBuildError.download(url: redactedURL(url), detail: "HTTP \(response.status)")
            }
        }
    }

    private func pause(_ attempt: Int) async throws {
        try await Task.sleep(nanoseconds: UInt64(250_000_000) << UInt64(min(attempt, 5)))
    }

    private func tlsOptions(for url: String) -> TLSOptions {
        let host = URL(string: url)?.host ?? ""
        let port = URL(string: url)?.port.map { ":\($0)" } ?? ""
        let insecure = options.insecureHosts.contains(host) || options.insecureHosts.contains(host + port)
        return TLSOptions(caFile: options.caFile, skipVerify: insecure)
    }
}
