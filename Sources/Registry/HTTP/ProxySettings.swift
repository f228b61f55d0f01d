import Foundation

/// The proxy libcurl uses for a URL, read from the environment as libcurl reads it
/// (`http_proxy` in lower case only, `https_proxy`/`HTTPS_PROXY`, `all_proxy`/`ALL_PROXY`,
/// `no_proxy`/`NO_PROXY`), so a failure at the proxy can name the proxy, not the registry.
/// One rule of samforge's own, as crane and docker have it: a loopback host never goes through
/// a proxy, unless `NO_PROXY` (or `no_proxy`) is set, which then alone says what bypasses it.
enum ProxySettings {
    /// Whether samforge itself keeps `url` off the proxies (libcurl would not).
    static func bypassesLoopback(_ url: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["no_proxy"] == nil && environment["NO_PROXY"] == nil && isLoopbackHost(hostOf(url))
    }

    /// `host:port` of the proxy for `url` (credentials in the proxy URL never shown), or nil.
    static func proxy(for url: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let lowered = url.lowercased()
        let secure = lowered.hasPrefix("https://")
        guard secure || lowered.hasPrefix("http://") else { return nil }
        if bypassesLoopback(url, environment: environment) { return nil }
        let host = hostOnly(hostOf(url))
        if let exempt = environment["no_proxy"] ?? environment["NO_PROXY"], bypasses(host, exempt) { return nil }
        let candidates = secure ? [environment["https_proxy"], environment["HTTPS_PROXY"]] : [environment["http_proxy"]]
        let chosen = (candidates + [environment["all_proxy"], environment["ALL_PROXY"]]).compactMap { $0 }.first { !$0.isEmpty }
        guard let chosen else { return nil }
        return hostOf(chosen.contains("://") ? chosen : "http://" + chosen)
    }

    /// `no_proxy`: `*`, or comma-separated names matched as the host or a domain suffix.
    static func bypasses(_ host: String, _ list: String) -> Bool {
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !entry.isEmpty {
            if entry == "*" { return true }
            let name = hostOnly(entry.hasPrefix(".") ? String(entry.dropFirst()) : entry)
            if host == name || host.hasSuffix("." + name) { return true }
        }
        return false
    }

    /// `host` of `host[:port]` (brackets of an IPv6 literal kept off), lowercased.
    static func hostOnly(_ authority: String) -> String {
        var text = Substring(authority.lowercased())
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") { return String(text[text.index(after: text.startIndex)..<close]) }
        if let colon = text.lastIndex(of: ":") { text = text[..<colon] }
        return String(text)
    }
}
