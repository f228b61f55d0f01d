import Foundation
import Testing
import TestSupport

/// samforge against a registry that answers as ECR, GHCR, Docker Hub, Quay, zot… would: a fault
/// proxy of the test's own in front of a real registry of the test world, its personalities
/// armed (scripts/fault_personality.py). What samforge wrote is checked at the registry itself,
/// not through the proxy, with the independent validator (scripts/validate-image.py).
enum PersonalityKit {
    typealias Personality = (name: String, parameters: [String: String])

    static func proxy(_ upstream: String = TestWorld.plain, _ personalities: [Personality]) throws -> PrivateFaultProxy {
        let proxy = try PrivateFaultProxy(upstream: upstream)
        for personality in personalities { try proxy.proxy.personality(personality.name, personality.parameters) }
        return proxy
    }

    /// samforge, its automatic read-back off: it would go through the armed proxy.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try Command.samforge(arguments, environment: environment.merging([ImageValidation.skipVariable: "1"]) { $1 })
    }

    @discardableResult
    static func succeed(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let result = try run(arguments, environment: environment)
        try #require(result.status == 0, "samforge \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        return result
    }

    /// The image a successful run names on its last line (`PROXY/REPO:TAG@sha256:…`), read back
    /// from the registry behind the proxy and validated: config, layers, diff_ids, one flavour.
    static func validateBehind(_ proxy: PrivateFaultProxy, _ result: CommandResult, upstream: String) throws {
        let named = result.lastLine
        try #require(named.hasPrefix(proxy.address + "/"), "not an image of \(proxy.address): \(named)")
        let location = upstream + named.dropFirst(proxy.address.count)
        let problem = try ImageValidation.problem(location)
        #expect(problem == nil, "\(location): \(problem ?? "")")
    }

    /// `build` of the SAM fixtures from `host` to `target` (credentials for the token registry's
    /// proxies come with `environment`).
    static func build(target: String, host: String = TestWorld.plain, base: String = BuildHarness.nodeBase, extra: [String] = [],
                      environment: [String: String] = [:]) throws -> CommandResult {
        let arguments = try BuildHarness.arguments(base: base, target: target, host: host, extra: extra)
        return try run(arguments, environment: environment.merging(["SOURCE_DATE_EPOCH": BuildHarness.epoch]) { $1 })
    }

    /// DOCKER_USERNAME/DOCKER_PASSWORD of the token registry (they apply to a command's push host).
    static var tokenPusher: [String: String] {
        ["DOCKER_USERNAME": TestWorld.tokenUser, "DOCKER_PASSWORD": TestWorld.tokenPassword]
    }

    /// A docker config whose auths entry for `host` holds the token registry's user.
    static func tokenConfig(_ host: String) throws -> [String: String] {
        ["DOCKER_CONFIG": try TestWorld.dockerConfig(host: host, user: TestWorld.tokenUser, password: TestWorld.tokenPassword)]
    }

    /// The artifact types `inspect --referrers --json` lists for the image's first subject.
    static func referrerTypes(_ location: String, environment: [String: String] = [:]) throws -> [String] {
        let result = try succeed(["inspect", "--referrers", "--json", location], environment: environment)
        let view = try CopyKit.json(result.stdout)
        let subjects = try #require(view["subjects"] as? [[String: Any]])
        return ((subjects.first?["referrers"] as? [[String: Any]]) ?? []).compactMap { $0["artifactType"] as? String }.sorted()
    }

    static let attestationTypes = ["application/spdx+json", "application/vnd.in-toto+json"]

    /// The tags `samforge tags` lists.
    static func tags(_ repository: String, environment: [String: String] = [:], extra: [String] = []) throws -> [String] {
        try succeed(["tags"] + extra + [repository], environment: environment).stdout.split(separator: "\n").map(String.init)
    }

    /// Whether the registry at `host` (plain HTTP, no auth) has `tag` in `repository`.
    static func hasTag(_ host: String, _ repository: String, _ tag: String) throws -> Bool {
        try RegistryProbe.manifestStatus(repository, tag, host: host) == 200
    }

    /// `REPO:TAG` → the repository path and tag of `HOST/REPO:TAG@sha256:…`.
    static func tagged(_ line: String, host: String) throws -> (repository: String, tag: String) {
        let reference = String(line.split(separator: "@").first ?? "").dropFirst(host.count + 1)
        let colon = try #require(reference.lastIndex(of: ":"))
        return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
    }

    /// An OCI layout holding the fixture base plus one new layer of `size` random bytes (does not
    /// compress): its uploads are large enough for several chunks.
    static func layoutWithLargeLayer(size: Int = 12 << 20) throws -> String {
        let directory = try TemporaryDirectory().path
        let file = directory + "/large.bin"
        _ = try CopyKit.shell("head -c \"$1\" /dev/urandom > \"$2\"", [String(size), file])
        try succeed(["append", "--quiet", "--cache-dir", directory + "/cache", "--file", "\(file):/opt/large.bin",
                     "\(TestWorld.plain)/\(BuildHarness.nodeBase)", "oci:\(directory)/layout:large"])
        return "oci:\(directory)/layout:large"
    }
}
