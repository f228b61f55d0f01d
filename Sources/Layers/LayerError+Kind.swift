import OCI

extension LayerError: KindedError {
    public var kind: ErrorKind {
        switch self {
        case .invalidPath, .invalidSourceDateEpoch, .notADirectory, .hardlinkTargetMissing: return .usage
        case .missingPath, .notExtracted: return .notFound
        case .unsafeEntry, .archive, .compression, .unresolvedHardlink: return .corrupt
        case .unsupportedEntry: return .unsupported
        case .sourceChanged, .io: return .failed
        }
    }
}
