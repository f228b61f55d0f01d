/// Input the user can fix on the command line or in the environment (the CLI exits 2).
public struct SAMInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Runtime failures of a build, each one line naming the image, file or URL concerned.
public enum SAMBuildError: Error, Sendable, CustomStringConvertible {
    /// `source` names the image ("plugin image REF").
    case missingFile(source: String, path: String)
    case notARegularFile(source: String, path: String)
    case missingArchiveEntry(archive: String, entry: String)
    case download(url: String, detail: String)

    public var description: String {
        switch self {
        case .missingFile(let source, let path): return "\(source) has no \(path)"
        case .notARegularFile(let source, let path): return "\(source): \(path) is not a regular file"
        case .missingArchiveEntry(let archive, let entry): return "\(archive): no \(entry) entry in the archive"
        case .download(let url, let detail): return "download of \(url) failed: \(detail)"
        }
    }
}

/// Names what was being worked on ("plugin image REF: …") in a failure's one line, without
/// repeating a reference the message already names.
public struct SAMStepError: Error, CustomStringConvertible {
    /// "plugin image", "SAM base image", … (may be empty)
    public let label: String
    /// The reference, file or URL concerned.
    public let subject: String
    public let underlying: Error
    public var description: String {
        let cause = String(describing: underlying)
        let prefix = label.isEmpty ? "" : label + " "
        if cause.hasPrefix(subject) { return prefix + cause }
        if cause.contains(subject) { return cause }
        return "\(prefix)\(subject): \(cause)"
    }
}

func step<T>(_ label: String, _ subject: String, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as SAMStepError { throw error } catch {
        throw SAMStepError(label: label, subject: subject, underlying: error)
    }
}
