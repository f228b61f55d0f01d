import Foundation
import OCI
import Streams

/// Saves and removes credentials as `docker login` / `docker logout` do: through the credential
/// helper config.json names for the host (`credHelpers`, else `credsStore`), otherwise as a
/// base64 `auth` entry under `auths`. Everything else in the file is kept; the file is replaced
/// atomically and readable by its owner only.
public struct CredentialStore: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// Where credentials went (or came from).
    public enum Location: Sendable, Equatable, CustomStringConvertible {
        case file(String)
        case helper(String)
        public var description: String {
            switch self {
            case .file(let path): return path
            case .helper(let name): return "credential helper docker-credential-\(name)"
            }
        }
    }

    /// Every other spelling of the host in `auths` goes, so no stale entry can answer later.
    public func save(_ credentials: Credentials, for host: String) throws -> Location {
        var config = try load()
        let key = DockerConfigCredentials.lookupKeys(for: host)[0]
        let helper = helper(in: config, for: host)
        if let helper {
            let input = try JSONEncoder().encode(["ServerURL": key, "Username": credentials.username, "Secret": credentials.password])
            try CredentialHelper.run(helper, "store", input: input, host: host)
        }
        var auths = config["auths"]?.objectValue ?? [:]
        let stale = Self.keys(in: auths, for: host)
        for old in stale { auths[old] = nil }
        if helper == nil {
            auths[key] = .object(["auth": .string(Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString())])
        }
        if helper == nil || !stale.isEmpty {
            config["auths"] = .object(auths)
            try write(config)
        }
        return helper.map(Location.helper) ?? .file(path)
    }

    /// Removes the host's credentials (from its helper and from `auths`); nil when none were stored.
    public func remove(host: String) throws -> Location? {
        var config = try load()
        var removed: Location?
        if let helper = helper(in: config, for: host) {
            try CredentialHelper.run(helper, "erase", input: Data(DockerConfigCredentials.lookupKeys(for: host)[0].utf8), host: host)
            removed = .helper(helper)
        }
        if var auths = config["auths"]?.objectValue, case let matching = Self.keys(in: auths, for: host), !matching.isEmpty {
            for key in matching { auths[key] = nil }
            config["auths"] = .object(auths)
            try write(config)
            removed = removed ?? .file(path)
        }
        return removed
    }

    /// The `auths` keys naming `host`, however spelled.
    private static func keys(in auths: [String: JSONValue], for host: String) -> [String] {
        let names = DockerConfigCredentials.lookupKeys(for: host)
        return auths.keys.filter { names.contains(DockerConfigCredentials.normalize($0)) }
    }

    private func helper(in config: [String: JSONValue], for host: String) -> String? {
        let helpers = config["credHelpers"]?.objectValue ?? [:]
        for key in DockerConfigCredentials.lookupKeys(for: host) {
            if let name = helpers[key]?.stringValue, !name.isEmpty { return name }
        }
        if let store = config["credsStore"]?.stringValue, !store.isEmpty { return store }
        return nil
    }

    private func load() throws -> [String: JSONValue] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        // Unreadable is not empty: rewriting it would drop every other entry.
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError(message: "cannot read credentials file \(path) (permissions?)")
        }
        guard case .object(let object)? = try? UntrustedJSON.decode(JSONValue.self, from: data) else {
            throw CredentialError(message: "cannot update credentials file \(path): not valid docker config JSON")
        }
        return object
    }

    private func write(_ config: [String: JSONValue]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Through a symlinked config.json (dotfiles) to the file itself, so the link stays.
        let path = URL(fileURLWithPath: self.path).resolvingSymlinksInPath().path
        let parent = (path as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        let temporary = path + ".samforge-\(uniqueName().prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // Created 0600 before any secret is written to it.
            guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.write(contentsOf: try encoder.encode(JSONValue.object(config)) + Data("\n".utf8))
            try handle.close()
            guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CredentialError(message: "cannot write credentials file \(path): \(describeSystemError(error))")
        }
    }
}
