import OCI

extension LayerError: KindedError {
    public var kind: ErrorKind {
        switch self {
        case .invalidPath, .invalidSourceDateEpoch, .notADirectory, .hardlinkTargetMissing, .invalidCompression: return .usage
        case .missingPath, .notExtracted: return .notFound
        case .unsafeEntry, .archive, .compression, .zstd, .decompression, .unresolvedHardlink, .diffIDMismatch, .pathLimit: return .corrupt
        case .unsupportedEntry, .unsupportedCompression, .nonUTF8Name: return .unsupported
        case .inLayer(_, _, let error): return error.kind
        case .sourceChanged, .io: return .failed
        }
    }
}
