import OCI

/// Where an image lives, as `copy` and `inspect` take it:
/// a registry reference (default, or `docker://REF`), `oci:DIR[:TAG]`, `docker-archive:FILE[:REF]`.
public enum ImageLocation: Sendable, Hashable, CustomStringConvertible {
    case registry(Reference)
    case ociLayout(directory: String, tag: String?)
    case dockerArchive(file: String, reference: Reference?)

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// Transports we know by name but do not support, so users get a clear word instead of
    /// "invalid reference".
    static let unsupportedTransports = ["docker-daemon", "containers-storage", "dir", "oci-archive", "ostree", "sif", "tarball"]

    public init(parsing text: String) throws(ParseError) {
        if text.hasPrefix("oci:") {
            let rest = String(text.dropFirst(4))
            guard !rest.isEmpty else { throw ParseError(message: "invalid location \"\(text)\": oci: needs a directory (oci:DIR[:TAG])") }
            let (path, tag) = Self.splitSuffix(rest)
            if let tag, !Self.isValidTag(tag) { throw ParseError(message: "invalid location \"\(text)\": bad tag \"\(tag)\"") }
            self = .ociLayout(directory: path, tag: tag)
        } else if text.hasPrefix("docker-archive:") {
            let rest = String(text.dropFirst("docker-archive:".count))
            guard !rest.isEmpty else { throw ParseError(message: "invalid location \"\(text)\": docker-archive: needs a file (docker-archive:FILE[:REF])") }
            // FILE:REF — the reference itself may contain ':' (a port or a tag), so split at the first ':'.
            if let colon = rest.firstIndex(of: ":") {
                let file = String(rest[..<colon])
                let refText = String(rest[rest.index(after: colon)...])
                do { self = .dockerArchive(file: file, reference: try Reference(parsing: refText)) } catch {
                    throw ParseError(message: "invalid location \"\(text)\": \(error.description)")
                }
            } else {
                self = .dockerArchive(file: rest, reference: nil)
            }
        } else {
            var refText = text
            let prefix = text.firstIndex(of: ":").map { String(text[..<$0]) }
            if text.hasPrefix("docker://") { refText = String(text.dropFirst("docker://".count)) }
            else if let prefix, Self.unsupportedTransports.contains(prefix) {
                throw ParseError(message: "unsupported location \"\(text)\": samforge reads registries, oci: layouts and docker-archive: files")
            }
            do { self = .registry(try Reference(parsing: refText)) } catch {
                // `s3:/bucket` is no reference: say what we do take rather than "invalid host".
                if let prefix, !prefix.isEmpty, prefix.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }), refText == text {
                    throw ParseError(message: "unknown location prefix \"\(prefix):\" in \"\(text)\" (use a registry reference, oci:DIR[:TAG] or docker-archive:FILE[:REF])")
                }
                throw ParseError(message: error.description)
            }
        }
    }

    /// `path:tag` → (path, tag) when the part after the last ':' looks like a tag and not a path.
    static func splitSuffix(_ text: String) -> (String, String?) {
        guard let colon = text.lastIndex(of: ":") else { return (text, nil) }
        let suffix = text[text.index(after: colon)...]
        if suffix.contains("/") || suffix.isEmpty { return (text, nil) }
        return (String(text[..<colon]), String(suffix))
    }

    static func isValidTag(_ tag: String) -> Bool {
        (try? Reference(parsing: "x:" + tag)) != nil
    }

    public var description: String {
        switch self {
        case .registry(let reference): return reference.description
        case .ociLayout(let directory, let tag): return "oci:\(directory)" + (tag.map { ":" + $0 } ?? "")
        case .dockerArchive(let file, let reference): return "docker-archive:\(file)" + (reference.map { ":" + $0.description } ?? "")
        }
    }
}
