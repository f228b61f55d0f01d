/// What kind of failure an error is. Every module's error type says it once, per case, so the
/// command line picks the exit code (2 for `.usage`, 1 otherwise) and renders one line without
/// knowing the module, and without guessing from the message.
public enum ErrorKind: String, Sendable, Equatable {
    /// The user's input: a flag, a reference, a path to fix (exit 2).
    case usage
    /// A tag, blob, path or file that is not there.
    case notFound
    /// Missing or refused credentials.
    case auth
    /// The network or the registry: unreachable, timed out, rate limited, server errors.
    case network
    /// Bytes that are not what they claim (digests, sizes, unreadable manifests, hostile content).
    case corrupt
    /// A signal or a cancelled task.
    case interrupted
    /// Something valid that samforge does not do.
    case unsupported
    /// Any other runtime failure (local I/O, …).
    case failed
}

/// An error that knows its kind.
public protocol KindedError: Error, CustomStringConvertible {
    var kind: ErrorKind { get }
}

/// A failure of one step of a command, in that step's words: `plugin image: <cause>`. The
/// label is always prefixed (the cause names its own reference); the kind is the cause's.
public struct StepError: KindedError, Sendable {
    public let step: String
    public let underlying: any Error
    public init(_ step: String, _ underlying: any Error) {
        self.step = step
        self.underlying = underlying
    }
    public var kind: ErrorKind { errorKind(of: underlying) }
    public var description: String { "\(step): \(String(describing: underlying))" }
}

/// The kind of any error: its own when it has one, `.interrupted` for a cancelled task, else `.failed`.
public func errorKind(of error: any Error) -> ErrorKind {
    if let kinded = error as? KindedError { return kinded.kind }
    if error is CancellationError { return .interrupted }
    return .failed
}

/// Runs `body`, labelling its failures with `step`; a failure already labelled keeps its label.
public func step<T>(_ label: String, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error as StepError { throw error } catch {
        throw StepError(label, error)
    }
}
