import Foundation
import Streams

/// Counts what reaches a sink, so a retry knows whether the body was already partly delivered.
final class CountingSink: ResponseAwareSink, @unchecked Sendable {
    let downstream: ByteSink
    private(set) var count: Int64 = 0
    init(_ downstream: ByteSink) { self.downstream = downstream }
    func reset() { count = 0 }
    func responseStarted(status: Int) { (downstream as? ResponseAwareSink)?.responseStarted(status: status) }
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        count += Int64(bytes.count)
        try downstream.write(bytes)
    }
}

/// Whether a request to `target` may carry the credentials meant for `origin`'s URL: same host
/// and port, and no step down from HTTPS to plain HTTP.
func keepsCredentials(from origin: String, to target: String) -> Bool {
    // `host:443` over HTTPS (and `host:80` over HTTP) is the same place as `host`.
    func authority(_ url: String) -> String {
        let host = hostOf(url).lowercased()
        let secure = url.lowercased().hasPrefix("https://")
        let defaultPort = secure ? ":443" : ":80"
        return host.hasSuffix(defaultPort) ? String(host.dropLast(defaultPort.count)) : host
    }
    guard authority(target) == authority(origin) else { return false }
    return !(origin.lowercased().hasPrefix("https://") && target.lowercased().hasPrefix("http://"))
}

/// Resolves a `Location` header (absolute, host-relative or path-relative) against a URL.
func resolveURL(_ location: String, against base: String) -> String {
    if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
    guard let baseURL = URL(string: base), let resolved = URL(string: location, relativeTo: baseURL) else { return location }
    return resolved.absoluteString
}

/// Query strings of presigned URLs and `user:password@` carry credentials: logs and errors
/// show only scheme, host and path.
public func redactedURL(_ url: String) -> String {
    var text = Substring(url)
    var prefix = ""
    if let schemeEnd = text.range(of: "://") {
        prefix = String(text[..<schemeEnd.upperBound])
        text = text[schemeEnd.upperBound...]
        let authorityEnd = text.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
        if let at = text[..<authorityEnd].lastIndex(of: "@") { text = text[text.index(after: at)...] }
    }
    if let query = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { return prefix + text[..<query] + "?…" }
    return prefix + text
}
