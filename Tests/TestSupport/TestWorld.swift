import Foundation

/// The real registries `scripts/test` starts (see scripts/testworld), read from the
/// environment. Integration tests are enabled only when the world is up; scripts/test sets
/// SAMFORGE_TEST_REQUIRE_WORLD=1 so a missing world fails instead of skipping.
public enum TestWorld {
    static let environment = ProcessInfo.processInfo.environment

    public static var available: Bool { environment["SAMFORGE_TEST_PLAIN"] != nil }
    public static var required: Bool { environment["SAMFORGE_TEST_REQUIRE_WORLD"] == "1" }

    public static var plain: String { environment["SAMFORGE_TEST_PLAIN"] ?? "" }
    public static var basic: String { environment["SAMFORGE_TEST_BASIC"] ?? "" }
    public static var basicUser: String { environment["SAMFORGE_TEST_BASIC_USER"] ?? "" }
    public static var basicPassword: String { environment["SAMFORGE_TEST_BASIC_PASSWORD"] ?? "" }
    public static var token: String { environment["SAMFORGE_TEST_TOKEN"] ?? "" }
    public static var tokenUser: String { environment["SAMFORGE_TEST_TOKEN_USER"] ?? "" }
    public static var tokenPassword: String { environment["SAMFORGE_TEST_TOKEN_PASSWORD"] ?? "" }
    public static var tokenIssuer: String { environment["SAMFORGE_TEST_TOKEN_ISSUER"] ?? "" }
    /// The fault-injection proxy in front of the token registry (scripts/fault-proxy.py).
    public static var faultProxy: String { environment["SAMFORGE_TEST_FAULT_PROXY"] ?? "" }
    /// A fault-injection proxy in front of the plain registry (scripts/fault-proxy.py).
    public static var plainProxy: String { environment["SAMFORGE_TEST_PLAIN_PROXY"] ?? "" }
    public static var tls: String { environment["SAMFORGE_TEST_TLS"] ?? "" }
    public static var caFile: String { environment["SAMFORGE_TEST_CA"] ?? "" }
    public static var goTemplateURL: String { environment["SAMFORGE_TEST_GOTEMPLATE_URL"] ?? "" }
    public static var dockerTgzURL: String { environment["SAMFORGE_TEST_DOCKER_TGZ_URL"] ?? "" }
    public static var stateDirectory: String { environment["SAMFORGE_TESTWORLD"] ?? "" }

    /// The fixture summary (reference → digests) written by Fixtures/build_fixtures.py.
    public static var fixtures: [String: Fixture] {
        guard let path = environment["SAMFORGE_TEST_FIXTURES"], let data = FileManager.default.contents(atPath: path),
              let decoded = try? JSONDecoder().decode([String: Fixture].self, from: data) else { return [:] }
        return decoded
    }

    public struct Fixture: Decodable, Sendable {
        public var digest: String
        public var manifest_digest: String?
        public var index_digest: String?
        public var config_digest: String?
        public var mediaType: String?
        public var layers: [String]?
        public var diff_ids: [String]?
        public var manifests: [String: String]?
    }

    /// A repository name no other test uses, so tests can run in any order against one registry.
    public static func uniqueRepository(_ prefix: String) -> String {
        "test/\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Writes a docker config.json holding one credential; returns its directory (for DOCKER_CONFIG).
    public static func dockerConfig(host: String, user: String, password: String) throws -> String {
        let directory = try TemporaryDirectory().path
        let auth = Data("\(user):\(password)".utf8).base64EncodedString()
        let json = "{\"auths\":{\"\(host)\":{\"auth\":\"\(auth)\"}}}"
        try json.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        return directory
    }

    /// The HTTP status a registry (the plain one by default, not a proxy in front of it) answers
    /// `path` with: 404 for a tag, blob or upload session that does not exist.
    public static func registryStatus(_ path: String, head: Bool = false, host: String = plain) throws -> Int {
        let result = try Command.run("/usr/bin/curl", ["-s", "-o", "/dev/null"] + (head ? ["-I"] : []) + ["-w", "%{http_code}", "http://\(host)\(path)"])
        return Int(result.stdout) ?? 0
    }

    /// Token requests the test issuer has answered so far.
    public static func tokenRequestCount() throws -> Int {
        let result = try Command.run("/usr/bin/curl", ["-fsS", tokenIssuer + "/stats"])
        struct Stats: Decodable { var token_requests: Int }
        return try JSONDecoder().decode(Stats.self, from: Data(result.stdout.utf8)).token_requests
    }
}

public struct TemporaryDirectory {
    public let path: String
    public init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("samforge-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }
}
