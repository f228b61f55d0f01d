import OCI

extension RegistryError: KindedError {
    public var kind: ErrorKind {
        switch self {
        case .refused(_, _, _, _, let kind): return kind
        case .unreachable, .rateLimited, .pullLimitReached, .tlsVerification, .commandTimedOut, .proxyFailed, .uploadSessionLost: return .network
        case .insecureCredentials, .authenticationRequired, .authenticationFailed, .denied: return .auth
        case .manifestUnknown, .repositoryUnknown, .blobUnknown, .platformNotFound: return .notFound
        case .digestMismatch, .sizeMismatch, .invalidResponse, .invalidManifest, .mirrorServedBadData: return .corrupt
        case .invalidTag: return .corrupt
        case .blocked, .invalidConfiguration: return .failed
        case .unexpectedStatus(_, let status, _, _): return status == 404 ? .notFound : .network
        }
    }
}

extension CredentialError: KindedError {
    public var kind: ErrorKind { .auth }
}

extension RegistryError {
    /// Whether the message names the reference or repository it concerns; the others name
    /// only the registry host, and a caller adds the reference it was working on.
    public var namesOnlyTheHost: Bool {
        switch self {
        case .unreachable, .tlsVerification, .insecureCredentials, .authenticationRequired, .authenticationFailed, .rateLimited,
             .pullLimitReached, .proxyFailed, .commandTimedOut: return true
        default: return false
        }
    }
}
