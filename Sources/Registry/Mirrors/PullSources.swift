/// Where a registry name (`host[/path]`) is pulled from under a registries.conf, and whether
/// it may be used at all.
extension RegistriesConf {
    /// The entry for `name`: the longest exact prefix matching at a path boundary, else the
    /// longest wildcard (`*.example.com`) matching its host.
    public func entry(for name: String) -> Entry? {
        let exact = entries.filter { !$0.prefix.hasPrefix("*.") && Self.matches(name, prefix: $0.prefix) }
        if let best = exact.max(by: { $0.prefix.count < $1.prefix.count }) { return best }
        let host = name.split(separator: "/").first.map(String.init) ?? name
        let wildcards = entries.filter { $0.prefix.hasPrefix("*.") && host.hasSuffix(String($0.prefix.dropFirst())) }
        return wildcards.max { $0.prefix.count < $1.prefix.count }
    }

    static func matches(_ name: String, prefix: String) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        return name.count == prefix.count || name.dropFirst(prefix.count).first == "/"
    }

    /// Where a pull of `name` goes, in order: the mirrors that take this kind of pull (by
    /// digest or by tag), then the primary location. Each with whether it is insecure.
    public func pullSources(for name: String, byDigest: Bool) -> [(name: String, insecure: Bool, isMirror: Bool)] {
        guard let entry = entry(for: name) else { return [(name, false, false)] }
        let rest = entry.prefix.hasPrefix("*.") ? "" : String(name.dropFirst(entry.prefix.count))
        let primary = entry.location.isEmpty || entry.prefix.hasPrefix("*.") ? name : entry.location + rest
        var sources: [(name: String, insecure: Bool, isMirror: Bool)] = []
        for mirror in entry.mirrors {
            let allowed: Bool
            switch mirror.pullFromMirror {
            case "digest-only": allowed = byDigest
            case "tag-only": allowed = !byDigest
            default: allowed = !entry.mirrorByDigestOnly || byDigest
            }
            guard allowed else { continue }
            let mirrorName = entry.prefix.hasPrefix("*.") ? mirror.location + "/" + name.split(separator: "/").dropFirst().joined(separator: "/")
                                                          : mirror.location + rest
            sources.append((mirrorName, mirror.insecure, true))
        }
        sources.append((primary, entry.insecure, false))
        return sources
    }

    /// Hosts the file names insecure (entries and mirrors): plain HTTP / unverified TLS there.
    public var insecureHosts: Set<String> {
        var hosts = Set<String>()
        for entry in entries {
            if entry.insecure { hosts.insert(Self.host(of: entry.location.isEmpty ? entry.prefix : entry.location)) }
            for mirror in entry.mirrors where mirror.insecure { hosts.insert(Self.host(of: mirror.location)) }
        }
        return hosts
    }

    static func host(of name: String) -> String { name.split(separator: "/").first.map(String.init) ?? name }
}
