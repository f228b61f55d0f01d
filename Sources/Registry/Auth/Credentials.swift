import Foundation
import OCI

/// A username and secret for one registry. The secret never appears in a description.
public struct Credentials: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var password: String
    /// An OAuth2 refresh token (`identitytoken` in config.json), used instead of the password.
    public var identityToken: String?
    /// Where they came from, for an error that says so (`DOCKER_USERNAME/DOCKER_PASSWORD`, a
    /// config file and its key, a credential helper); never the secret.
    public var origin: String?

    public init(username: String, password: String, identityToken: String? = nil, origin: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
        self.origin = origin
    }

    public var description: String { "Credentials(\(username), <redacted>)" }

    /// ` (the credentials come from ORIGIN)`, or nothing when unknown.
    var originNote: String { origin.map { " (the credentials come from \($0))" } ?? "" }

    var basicHeader: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// Where credentials for a registry host come from.
public protocol CredentialSource: Sendable {
    func credentials(for host: String) throws -> Credentials?
}

public struct CredentialError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// The helper could not be started (not installed here).
    var isMissingHelper = false
    public var description: String { message }
}

/// Credentials fixed for some hosts (from DOCKER_USERNAME/DOCKER_PASSWORD for a push target),
/// falling back to another source for the rest.
public struct LayeredCredentials: CredentialSource {
    public var overrides: [String: Credentials]
    public var fallback: CredentialSource?
    public init(overrides: [String: Credentials] = [:], fallback: CredentialSource?) {
        self.overrides = overrides
        self.fallback = fallback
    }
    public func credentials(for host: String) throws -> Credentials? {
        if let fixed = overrides[host] { return fixed }
        return try fallback?.credentials(for: host)
    }
}

/// Docker's `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), and
/// podman's `auth.json` of the same shape: `auths`, `credHelpers`, `credsStore`.
public struct DockerConfigCredentials: CredentialSource {
    public let path: String?

    public init(path: String?) { self.path = path }

    /// The file docker would read, given an environment.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let file = environment["REGISTRY_AUTH_FILE"], !file.isEmpty { return file }
        if let dir = environment["DOCKER_CONFIG"], !dir.isEmpty { return dir + "/config.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.docker/config.json" }
        return nil
    }

    struct ConfigFile: Decodable {
        struct Auth: Decodable {
            var auth: String?
            var username: String?
            var password: String?
            var identitytoken: String?
        }
        var auths: [String: Auth]?
        var credHelpers: [String: String]?
        var credsStore: String?
    }

    public func credentials(for host: String) throws -> Credentials? {
        guard let path, FileManager.default.fileExists(atPath: path) else { return nil }
        let config: ConfigFile
        do {
            config = try UntrustedJSON.decode(ConfigFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CredentialError(message: "cannot read credentials file \(path): not valid docker config JSON")
        }
        let keys = Self.lookupKeys(for: host)
        for key in keys {
            if let helper = config.credHelpers?[key] {
                return try Self.runHelper(helper, host: key)?.from("credential helper docker-credential-\(helper) (credHelpers in \(path))")
            }
        }
        // As docker: a credsStore helper's answer wins over config.json's auths. A helper that
        // is not installed here (a config copied from a laptop) leaves the auths to answer.
        if let store = config.credsStore, !store.isEmpty,
           let stored = try Self.runHelper(store, host: keys[0], missingIsNil: true) {
            return stored.from("credential helper docker-credential-\(store) (credsStore in \(path))")
        }
        // Several spellings of one host (`host`, `https://host/v1/`): the exact one first, then
        // in key order, never in a dictionary's run-to-run order.
        let matching = (config.auths ?? [:]).filter { keys.contains(Self.normalize($0.key)) }
            .sorted { ($0.key == keys[0] ? 0 : 1, $0.key) < ($1.key == keys[0] ? 0 : 1, $1.key) }
        for (key, entry) in matching {
            let origin = "\(path), auths entry \"\(key)\""
            if let encoded = entry.auth, !encoded.isEmpty {
                guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8),
                      let colon = text.firstIndex(of: ":") else {
                    throw CredentialError(message: "cannot read credentials for \(host) in \(path): malformed auth entry")
                }
                return Credentials(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]),
                                   identityToken: entry.identitytoken, origin: origin)
            }
            if let username = entry.username, let password = entry.password {
                return Credentials(username: username, password: password, identityToken: entry.identitytoken, origin: origin)
            }
            if let token = entry.identitytoken { return Credentials(username: "<token>", password: "", identityToken: token, origin: origin) }
        }
        return nil
    }

    /// Docker Hub's credentials live under its legacy index URL.
    static func lookupKeys(for host: String) -> [String] {
        if host == "registry-1.docker.io" || host == "docker.io" || host == "index.docker.io" {
            return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"]
        }
        return [host]
    }

    /// `https://host/v1/` → `host`, as docker matches `auths` keys.
    public static func normalize(_ key: String) -> String {
        if key == "https://index.docker.io/v1/" { return key }
        var value = Substring(key)
        for prefix in ["https://", "http://"] where value.hasPrefix(prefix) { value = value.dropFirst(prefix.count) }
        if let slash = value.firstIndex(of: "/") { value = value[..<slash] }
        return String(value)
    }

    /// Runs `docker-credential-NAME get` with the host on stdin; JSON `{Username, Secret}` out.
    static func runHelper(_ name: String, host: String, missingIsNil: Bool = false) throws -> Credentials? {
        let outcome: CredentialHelper.Outcome
        do { outcome = try CredentialHelper.run(name, "get", input: Data(host.utf8), host: host) } catch let error as CredentialError {
            // Not installed here (a config copied from a laptop); a helper that ran and failed
            // its bounds (time, output) is an error whatever the config says.
            if missingIsNil, error.isMissingHelper { return nil }
            throw error
        }
        let (status, data) = (outcome.status, outcome.output)
        guard status == 0 else {
            if missingIsNil { return nil }
            throw CredentialError(message: "credential helper docker-credential-\(name) found no credentials for \(host)")
        }
        struct Reply: Decodable { var Username: String; var Secret: String }
        guard let reply = try? UntrustedJSON.decode(Reply.self, from: data) else {
            throw CredentialError(message: "credential helper docker-credential-\(name) gave an unreadable reply for \(host)")
        }
        if reply.Username == "<token>" { return Credentials(username: reply.Username, password: "", identityToken: reply.Secret) }
        return Credentials(username: reply.Username, password: reply.Secret)
    }
}

extension Credentials {
    /// The same credentials, saying where they came from (unless they already do).
    public func from(_ origin: String) -> Credentials {
        var copy = self
        if copy.origin == nil { copy.origin = origin }
        return copy
    }
}
