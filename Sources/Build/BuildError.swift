import OCI

/// Failures of carrying out a plan, each one line naming the image, file or URL concerned.
public enum BuildError: KindedError, Sendable, Equatable {
    /// `source` names the image ("plugin image REF").
    case missingPath(source: String, path: String)
    case notARegularFile(source: String, path: String)
    case missingArchiveEntry(archive: String, entry: String)
    case download(url: String, detail: String)
    /// Input the user can fix on the command line or in the environment.
    case input(String)

    public var kind: ErrorKind {
        switch self {
        case .missingPath, .missingArchiveEntry: return .notFound
        case .notARegularFile: return .failed
        case .download: return .network
        case .input: return .usage
        }
    }

    public var description: String {
        switch self {
        case .missingPath(let source, let path): return "\(source) has no \(path)"
        case .notARegularFile(let source, let path): return "\(source): \(path) is not a regular file"
        case .missingArchiveEntry(let archive, let entry): return "\(archive): no \(entry) entry in the archive"
        case .download(let url, let detail): return "download of \(url) failed: \(detail)"
        case .input(let message): return message
        }
    }
}
