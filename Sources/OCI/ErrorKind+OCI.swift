// The kinds of the value types' own errors: all of them are input a user can fix, except a
// manifest that arrived unreadable (which is the other side's fault).
extension Reference.ParseError: KindedError { public var kind: ErrorKind { .usage } }
extension Digest.ParseError: KindedError { public var kind: ErrorKind { .usage } }
extension Platform.ParseError: KindedError { public var kind: ErrorKind { .usage } }
extension RawManifest.ParseError: KindedError {
    public var kind: ErrorKind {
        if case .unknownMediaType = self { return .unsupported }
        return .corrupt
    }
}
extension ManifestFormat.ConversionError: KindedError { public var kind: ErrorKind { .unsupported } }
