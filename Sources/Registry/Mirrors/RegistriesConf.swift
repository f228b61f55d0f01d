import Foundation
import Streams
import TOMLKit

/// containers-registries.conf(5), version 2 (TOML), as podman, buildah and skopeo read it:
/// `[[registry]]` entries with `prefix`, `location`, `insecure`, `blocked`,
/// `mirror-by-digest-only`, and `[[registry.mirror]]` entries with `location`, `insecure`,
/// `pull-from-mirror`. Other keys (`unqualified-search-registries`, aliases) are ignored.
public struct RegistriesConf: Sendable, Hashable {
    public struct Mirror: Sendable, Hashable {
        public var location: String
        public var insecure: Bool
        /// `all` (default), `digest-only` or `tag-only`: which pulls may use this mirror.
        public var pullFromMirror: String
    }

    public struct Entry: Sendable, Hashable {
        /// What references it applies to: `host[/path]` or `*.domain`; defaults to `location`.
        public var prefix: String
        /// Where matching pulls really go (the prefix of the reference replaced by it); empty:
        /// where the reference says (a wildcard entry).
        public var location: String
        public var insecure: Bool
        public var blocked: Bool
        public var mirrorByDigestOnly: Bool
        public var mirrors: [Mirror]
    }

    public var entries: [Entry]
    /// The file read, for messages.
    public var path: String

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The file podman would read: `$CONTAINERS_REGISTRIES_CONF` alone when set, else
    /// `~/.config/containers/registries.conf`, else `/etc/containers/registries.conf`.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let explicit = environment["CONTAINERS_REGISTRIES_CONF"], !explicit.isEmpty { return explicit }
        var candidates: [String] = []
        if let home = environment["HOME"], !home.isEmpty { candidates.append(home + "/.config/containers/registries.conf") }
        candidates.append("/etc/containers/registries.conf")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// nil when there is no file (an explicit `$CONTAINERS_REGISTRIES_CONF` must exist).
    public static func load(environment: [String: String]) throws -> RegistriesConf? {
        guard let path = defaultPath(environment: environment) else { return nil }
        // Say why, and where the name came from when the user set it.
        let origin = environment["CONTAINERS_REGISTRIES_CONF"].map { $0.isEmpty ? "" : " (from CONTAINERS_REGISTRIES_CONF)" } ?? ""
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw Invalid(description: "cannot read registries.conf \(path)\(origin): is a directory")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw Invalid(description: "cannot read registries.conf \(path)\(origin): \(describeSystemError(error))")
        }
        guard data.count <= 1 << 20, let text = String(data: data, encoding: .utf8) else {
            throw Invalid(description: "cannot read registries.conf \(path): not a UTF-8 text file of at most 1 MiB")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> RegistriesConf {
        struct File: Decodable {
            struct Registry: Decodable {
                struct MirrorEntry: Decodable {
                    var location: String
                    var insecure: Bool?
                    var pullFromMirror: String?
                    enum CodingKeys: String, CodingKey { case location, insecure, pullFromMirror = "pull-from-mirror" }
                }
                var prefix: String?
                var location: String?
                var insecure: Bool?
                var blocked: Bool?
                var mirrorByDigestOnly: Bool?
                var mirror: [MirrorEntry]?
                enum CodingKeys: String, CodingKey {
                    case prefix, location, insecure, blocked, mirror
                    case mirrorByDigestOnly = "mirror-by-digest-only"
                }
            }
            var registry: [Registry]?
        }
        let file: File
        do { file = try TOMLDecoder().decode(File.self, from: text) } catch {
            throw Invalid(description: "cannot read registries.conf \(path): \(RegistryErrorBody.oneLine(String(describing: error)))")
        }
        var entries: [Entry] = []
        for registry in file.registry ?? [] {
            let location = normalized(registry.location ?? "")
            let prefix = normalized(registry.prefix ?? location)
            guard !prefix.isEmpty else {
                throw Invalid(description: "registries.conf \(path): a [[registry]] needs a location or a prefix")
            }
            // `*.example.com` matches hosts; such an entry cannot move them elsewhere.
            if prefix.hasPrefix("*."), !location.isEmpty, registry.prefix != nil {
                throw Invalid(description: "registries.conf \(path): a wildcard prefix (\(prefix)) cannot have a location")
            }
            var mirrors: [Mirror] = []
            for mirror in registry.mirror ?? [] {
                let pull = mirror.pullFromMirror ?? "all"
                guard ["all", "digest-only", "tag-only"].contains(pull) else {
                    throw Invalid(description: "registries.conf \(path): pull-from-mirror must be all, digest-only or tag-only (got \"\(pull)\")")
                }
                mirrors.append(Mirror(location: normalized(mirror.location), insecure: mirror.insecure ?? false, pullFromMirror: pull))
            }
            entries.append(Entry(prefix: prefix, location: location, insecure: registry.insecure ?? false,
                                 blocked: registry.blocked ?? false, mirrorByDigestOnly: registry.mirrorByDigestOnly ?? false,
                                 mirrors: mirrors))
        }
        return RegistriesConf(entries: entries, path: path)
    }

    /// `docker://`, `https://` and a trailing `/` are not part of a location.
    static func normalized(_ text: String) -> String {
        var value = Substring(text.trimmingCharacters(in: .whitespaces))
        for scheme in ["docker://", "https://", "http://"] where value.hasPrefix(scheme) { value = value.dropFirst(scheme.count) }
        while value.hasSuffix("/") { value = value.dropLast() }
        return String(value)
    }
}
