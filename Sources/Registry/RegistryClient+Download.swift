import Foundation
import Streams

extension RegistryClient {
    /// A plain GET of `url` into a new file at `path`, through the registry transport: the
    /// same TLS trust (`--ca-file`, `--insecure-registry`), redirects (followed without
    /// credentials: none are ever sent here) and retry policy as registry requests. A
    /// connection lost mid-body starts the file again, within the same retry budget.
    public func download(_ url: String, toFile path: String) async throws {
        // Only a connection lost mid-body is worth starting the file again: the request itself
        // already had its retries.
        var lostMidBody = false
        try await retrying("download of \(redactedURL(url))", transient: { _ in lostMidBody }) {
            let sink = try FileSink(path: path)
            do {
                let response = try await perform(HTTPRequest(method: "GET", url: url), host: hostOf(url), sink: sink, followRedirects: true)
                try sink.close()
                guard (200..<300).contains(response.status) else {
                    lostMidBody = false
                    throw RegistryError.unexpectedStatus(operation: "download of \(redactedURL(url))", status: response.status,
                                                         detail: RegistryErrorBody.summary(response).text)
                }
            } catch let error as TransportError {
                try? sink.close()
                lostMidBody = error.isTransient && !Interruption.isRequested
                throw mapTransport(error, host: hostOf(error.url))
            } catch {
                try? sink.close()
                lostMidBody = false
                throw error
            }
        }
    }
}
