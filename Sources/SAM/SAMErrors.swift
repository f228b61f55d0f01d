import OCI

/// Input the user can fix on the command line or in the environment (the CLI exits 2).
public struct SAMInputError: KindedError, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var kind: ErrorKind { .usage }
    public var description: String { message }
}
