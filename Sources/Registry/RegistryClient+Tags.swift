import OCI
import Streams

/// Bounds on a tag listing, whatever the registry's `Link` headers say: a loop or an endless
/// chain of pages ends the listing instead of running it for ever.
public struct TagListLimits: Sendable {
    public var maxPages: Int
    public var maxTags: Int
    public init(maxPages: Int = 1000, maxTags: Int = 100_000) {
        self.maxPages = maxPages
        self.maxTags = maxTags
    }
}

extension RegistryClient {
    /// Lists a repository's tags, following `Link: <…>; rel="next"` pagination: a Link is
    /// resolved against the URL of the page that sent it (RFC 3986: `<list?last=x>` is a sibling
    /// of `…/tags/list`, not of the host's root) and followed as it is (Quay's opaque
    /// `next_page` tokens), whatever size its pages have (`n` is a wish: ACR ignores it, Quay
    /// sends 50); a registry that refuses `n` (distribution 3.1 above 1000) is asked without it.
    /// Every name is checked against the tag grammar: a name outside it is skipped (one warning
    /// line names them, escaped), never returned. A `Link` back to a page already read ends the
    /// listing there (one warning line): what was listed, de-duplicated, is the answer. More
    /// than `limits.maxPages` pages or `limits.maxTags` tags is an error. A `Link` to another
    /// host is followed without credentials, as every request to another host is.
    public func listTags(_ repository: Repository, pageSize: Int = 1000, limits: TagListLimits = TagListLimits()) async throws -> [String] {
        try checkAllowed(repository)
        let operation = "tag list of \(repository)"
        let endpoint = try await ensureEndpoint(repository.host) + "://" + repository.host + "/"
        var tags: [String] = []
        var listed = Set<String>()
        var skipped: [String] = []
        var visited = Set<String>()
        let first = resolveURL("/v2/\(repository.name)/tags/list", against: endpoint)
        var next: String? = first + "?n=\(pageSize)"
        while let current = next {
            guard visited.insert(current).inserted else {
                options.warn?("\(repository): the tag list's Link pagination points back to a page already read; stopping with the \(tags.count) tags listed")
                break
            }
            guard visited.count <= limits.maxPages else {
                throw RegistryError.invalidResponse(operation: operation, detail: "more than \(limits.maxPages) pages (Link pagination does not end)")
            }
            let sink = DocumentSink(limit: 16 << 20)
            let response = try await send(host: repository.host, method: "GET", path: current, scopes: [.pull(repository.name)], sink: sink)
            if response.status == 400, current == first + "?n=\(pageSize)" {
                options.log?("\(repository): the registry refused n=\(pageSize) (HTTP 400); asking for its own page size")
                next = first
                visited.remove(current)
                continue
            }
            guard (200..<300).contains(response.status) else {
                throw try failure(response, host: repository.host, repository: repository.name, operation: operation)
            }
            struct Page: Decodable { var tags: [String]? }
            guard let page = try? UntrustedJSON.decode(Page.self, from: sink.bytes) else {
                throw RegistryError.invalidResponse(operation: operation, detail: "not a tag list")
            }
            for tag in page.tags ?? [] {
                guard RemoteName.isValidTag(tag) else {
                    skipped.append(tag)
                    continue
                }
                if listed.insert(tag).inserted { tags.append(tag) }
            }
            guard tags.count <= limits.maxTags else {
                throw RegistryError.invalidResponse(operation: operation, detail: "more than \(limits.maxTags) tags")
            }
            next = response.header("link").flatMap(nextLink).map { resolveURL($0, against: current) }
        }
        if !skipped.isEmpty { options.warn?(RemoteName.skippedSummary(skipped, in: repository)) }
        return tags
    }
}

/// The target of `<URL>; rel="next"` in a Link header.
func nextLink(_ header: String) -> String? {
    for part in header.split(separator: ",") where part.contains("rel=\"next\"") || part.contains("rel=next") {
        guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">"), open < close else { continue }
        return String(part[part.index(after: open)..<close])
    }
    return nil
}
