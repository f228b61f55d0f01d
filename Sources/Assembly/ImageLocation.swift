import OCI

/// Where an image lives, as every command takes it: a registry reference (default, or
/// `docker://REF`), `oci:DIR[:REF]`, `docker-archive:FILE[:REF]`, or `scratch` (the empty image,
/// a base for images built from nothing).
public enum ImageLocation: Sendable, Hashable, CustomStringConvertible {
    case registry(Reference)
    /// `reference` is a tag (`1.0`) or a full reference (`example.test/app:1.0`), the
    /// `org.opencontainers.image.ref.name` skopeo and podman write.
    case ociLayout(directory: String, reference: String?)
    case dockerArchive(file: String, reference: Reference?)
    case scratch

    public struct ParseError: KindedError, Sendable {
        public let message: String
        public var kind: ErrorKind { .usage }
        public var description: String { message }
    }

    /// Transports we know by name but do not support, so users get a clear word instead of
    /// "invalid reference".
    static let unsupportedTransports = ["docker-daemon", "containers-storage", "dir", "oci-archive", "ostree", "sif", "tarball"]

    public init(parsing text: String) throws(ParseError) {
        func fail(_ message: String) -> ParseError { ParseError(message: "invalid location \"\(escapedForMessage(text))\": \(message)") }
        for prefix in ["oci:", "docker-archive:"] where text.hasPrefix(prefix) && text.dropFirst(prefix.count).contains("://") {
            // `oci:docker://…`: two kinds of location in one.
            let rest = text.dropFirst(prefix.count)
            let bare = rest.range(of: "://").map { rest[$0.upperBound...] } ?? rest
            throw fail("\(prefix) takes a \(prefix == "oci:" ? "directory" : "file"), not a URL: write \(escapedForMessage(bare)) (or docker://\(escapedForMessage(bare))) for a registry, \(prefix)\(prefix == "oci:" ? "DIR[:TAG]" : "FILE[:REF]") for a local \(prefix == "oci:" ? "layout" : "archive")")
        }
        if text == "scratch" {
            self = .scratch
        } else if text.hasPrefix("oci:") {
            // As skopeo: the directory ends at the first ':' (a path cannot hold one here), so the
            // rest may be a full reference with its own ':'.
            let rest = text.dropFirst(4)
            let (directory, name) = Self.splitFirstColon(rest)
            guard !directory.isEmpty else { throw fail("oci: needs a directory (oci:DIR[:TAG])") }
            if let name, !Self.isValidLayoutName(name) {
                throw fail("\"\(escapedForMessage(name))\" is neither a tag nor an image reference")
            }
            self = .ociLayout(directory: directory, reference: name)
        } else if text.hasPrefix("docker-archive:") {
            let (file, name) = Self.splitFirstColon(text.dropFirst("docker-archive:".count))
            guard !file.isEmpty else { throw fail("docker-archive: needs a file (docker-archive:FILE[:REF])") }
            guard let name else { self = .dockerArchive(file: file, reference: nil); return }
            do { self = .dockerArchive(file: file, reference: try Reference(parsing: name)) } catch {
                throw ParseError(message: "invalid location \"\(escapedForMessage(text))\": \(error.description)")
            }
        } else {
            self = .registry(try Self.registryReference(text))
        }
    }

    /// A registry reference, with a hint for what people coming from other tools type.
    static func registryReference(_ text: String) throws(ParseError) -> Reference {
        if let userinfo = URLUserinfo(in: text) {
            let host = userinfo.bare.prefix { $0 != "/" }
            throw ParseError(message: "invalid reference \"\(escapedForMessage(userinfo.redacted))\": a reference takes no credentials "
                             + "(logs and process lists would show them): write \(escapedForMessage(userinfo.bare)), and log in with "
                             + "samforge login \(escapedForMessage(host)) (or DOCKER_USERNAME and DOCKER_PASSWORD)")
        }
        let lower = text.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            let bare = text.drop { $0 != "/" }.drop { $0 == "/" }
            // HTTPS is the default; only http:// asks for plain HTTP.
            let plain = lower.hasPrefix("http://") ? " (add --insecure-registry HOST for plain HTTP)" : " (registries are reached over HTTPS)"
            throw ParseError(message: "invalid reference \"\(escapedForMessage(text))\": image references take no URL scheme; write \(escapedForMessage(bare))\(plain)")
        }
        var referenceText = text
        let prefix = text.firstIndex(of: ":").map { String(text[..<$0]) }
        if lower.hasPrefix("docker://") {
            referenceText = String(text.dropFirst("docker://".count))
        } else if let prefix, unsupportedTransports.contains(prefix) {
            throw ParseError(message: "unsupported location \"\(escapedForMessage(text))\": samforge reads registries, oci: layouts and docker-archive: files")
        }
        do { return try Reference(parsing: referenceText) } catch {
            // `s3:/bucket` is no reference: say what we do take rather than "invalid host".
            let port = text.dropFirst((prefix?.count ?? 0) + 1).first?.isNumber ?? false  // localhost:5000/…
            if let prefix, !prefix.isEmpty, prefix.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }), referenceText == text, !port {
                throw ParseError(message: "unknown location prefix \"\(escapedForMessage(prefix)):\" in \"\(escapedForMessage(text))\" (use a registry reference, oci:DIR[:TAG] or docker-archive:FILE[:REF])")
            }
            throw ParseError(message: error.description)
        }
    }

    static func splitFirstColon(_ text: Substring) -> (String, String?) {
        guard let colon = text.firstIndex(of: ":") else { return (String(text), nil) }
        let name = text[text.index(after: colon)...]
        return (String(text[..<colon]), name.isEmpty ? nil : String(name))
    }

    /// A tag, or a whole image reference (what other tools write as a layout's ref name).
    static func isValidLayoutName(_ name: String) -> Bool {
        Reference.isValidTag(name) || (try? Reference(parsing: name)) != nil
    }

    public var description: String {
        switch self {
        case .registry(let reference): return reference.description
        case .ociLayout(let directory, let name): return "oci:\(directory)" + (name.map { ":" + $0 } ?? "")
        case .dockerArchive(let file, let reference): return "docker-archive:\(file)" + (reference.map { ":" + $0.description } ?? "")
        case .scratch: return "scratch"
        }
    }

    /// The location as a person reads it: a docker archive's name as its RepoTags are written
    /// (`docker-archive:a.tar:alpine:3.20`, not `…:docker.io/library/alpine:3.20`). Progress lines
    /// use it; `description` stays the canonical form (lock files key inputs by it).
    public var displayName: String {
        if case .dockerArchive(let file, let reference?) = self {
            return "docker-archive:\(file):" + (DockerArchiveFormat.repoTag(reference) ?? reference.description)
        }
        return description
    }

    /// The registry reference, when the location is one.
    public var registryReference: Reference? {
        if case .registry(let reference) = self { return reference }
        return nil
    }
}
