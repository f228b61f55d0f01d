import Foundation
import Streams

extension RegistryClient {
    /// A plain GET of `url` into a new file at `path`, through the registry transport: the
    /// same TLS trust (`--ca-file`, `--insecure-registry`), redirects (followed without
    /// credentials: none are ever sent here) and retry policy as registry requests. A
    /// connection lost mid-body starts the file again, within the same retry budget.
    public func download(_ url: String, toFile path: String) async throws {
        var attempt = 0
        while true {
            attempt += 1
            let sink = try FileSink(path: path)
            do {
                let response = try await perform(HTTPRequest(method: "GET", url: url), host: hostOf(url), sink: sink, followRedirects: true)
                try sink.close()
                guard (200..<300).contains(response.status) else {
                    throw RegistryError.unexpectedStatus(operation: "download of \(redactedURL(url))", status: response.status,
                                                         detail: RegistryErrorBody.summary(response).text)
                }
                return
            } catch let error as TransportError {
                try? sink.close()
                guard error.isTransient, attempt < options.retry.maxAttempts, !Interruption.isRequested else {
                    throw mapTransport(error, host: hostOf(error.url))
                }
                options.log?("download of \(redactedURL(url)) interrupted (\(error.message)); starting again")
                try await Task.sleep(nanoseconds: UInt64(options.retry.delay(afterAttempt: attempt, retryAfter: nil) * 1_000_000_000))
            } catch {
                try? sink.close()
                throw error
            }
        }
    }
}
