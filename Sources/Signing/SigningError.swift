import OCI

/// What can go wrong with keys, passwords and signature formats. Each case says its kind, so
/// the command line picks the exit code: a key file to fix is input (2); a wrong password, a
/// key type samforge does not handle yet, or a signature that does not verify is a runtime
/// failure (1). No message ever holds key bytes or the password.
public enum SigningError: KindedError, Sendable, Equatable {
    /// A key file that is not what it should be (not PEM, wrong block, unreadable DER).
    case badKey(String)
    /// The password does not open the encrypted key.
    case wrongPassword(String)
    /// A valid key of a type samforge cannot use yet (RSA, Ed25519, another curve).
    case unsupportedKey(String)
    /// A password was needed and none could be had.
    case noPassword(String)
    /// A signature artifact that cannot be read (not JSON, missing fields).
    case malformed(String)
    /// A library call failed (out of memory, no randomness).
    case crypto(String)

    public var kind: ErrorKind {
        switch self {
        case .badKey, .noPassword: return .usage
        case .wrongPassword: return .auth
        case .unsupportedKey: return .unsupported
        case .malformed: return .corrupt
        case .crypto: return .failed
        }
    }

    public var description: String {
        switch self {
        case .badKey(let message), .wrongPassword(let message), .unsupportedKey(let message),
             .noPassword(let message), .malformed(let message), .crypto(let message):
            return message
        }
    }
}
