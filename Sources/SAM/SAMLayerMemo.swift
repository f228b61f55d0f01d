import Assembly
import Foundation

/// The new layers depend only on the plugin image, the tools and the mtime, not on the base:
/// a run that builds several runtimes writes them once and reuses them for every base.
final class SAMLayerMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var built: [String: [NewLayer]] = [:]

    func layers(for request: SAMBuildRequest, mtime: Int64, make: () async throws -> [NewLayer]) async throws -> [NewLayer] {
        let key = Self.inputs(of: request, mtime: mtime)
        if let known = lock.withLock({ built[key] }) { return known }
        let layers = try await make()
        lock.withLock { built[key] = layers }
        return layers
    }

    /// Every input of the new layers, spelled out (URLs whole: two presigned URLs differ only
    /// in their query).
    static func inputs(of request: SAMBuildRequest, mtime: Int64) -> String {
        func text(_ location: ToolLocation?) -> String {
            switch location {
            case .url(let url)?: return "url " + url
            case .file(let path)?: return "file " + path
            case nil: return "none"
            }
        }
        let docker: String
        switch request.dockerCLI {
        case .image(let reference)?: docker = "image " + reference.description
        case .file(let location)?: docker = text(location)
        case nil: docker = "none"
        }
        return [request.plugin.description, text(request.goTemplate), docker, String(mtime)].joined(separator: "\n")
    }
}
