import Foundation
import Testing
import TestSupport

/// `copy`, `build`, `tags` and `inspect` reading through a registry that answers as ECR Public
/// with a stale stored credential, as go-containerregistry's registry (closed ranges only), as
/// ECR's S3 redirects, as Artifactory (no scope in challenges), as ECR (Basic only) or as Docker
/// Hub's abuse limit. Images written are read back from the registry itself and validated.
@Suite("Pulls as ECR Public, ECR, Artifactory and Docker Hub answer them", .enabled(if: TestWorld.available))
struct PullPersonalityCLITests {
    static let nodeRepository = "sam/build-nodejs18.x"
    static let nodeTags = ["1.143.0", "1.143.0-20250502200316-arm64", "1.143.0-20250502200316-x86_64"]

    /// copy of the fixture index from `proxy` to the plain registry, validated there.
    @discardableResult
    func copyFrom(_ proxy: PrivateFaultProxy, environment: [String: String] = [:], extra: [String] = []) throws -> CommandResult {
        let target = CopyKit.newRepository("pulled") + ":1"
        let result = try PersonalityKit.succeed(["copy"] + extra + ["\(proxy.address)/\(Self.nodeRepository):1.143.0", target], environment: environment)
        #expect(result.lastLine.hasPrefix(target + "@"))
        #expect(try ImageValidation.problem(result.lastLine) == nil)
        return result
    }

    /// build with every input read through `proxy`, to the plain registry, validated there.
    @discardableResult
    func buildFrom(_ proxy: PrivateFaultProxy, environment: [String: String] = [:]) throws -> CommandResult {
        let result = try PersonalityKit.build(target: BuildHarness.newTarget("pulled-build"), host: proxy.address, environment: environment)
        try #require(result.status == 0, "\(result.stderr)")
        #expect(try ImageValidation.problem(result.lastLine) == nil)
        return result
    }

    func expectTags(_ proxy: PrivateFaultProxy, environment: [String: String] = [:]) throws {
        #expect(try PersonalityKit.tags("\(proxy.address)/\(Self.nodeRepository)", environment: environment) == Self.nodeTags)
    }

    /// An image with an SBOM and provenance in `upstream` (built there directly), seen through `proxy`.
    func expectReferrers(_ proxy: PrivateFaultProxy, upstream: String, environment: [String: String] = [:],
                         credentials: [String: String] = [:]) throws {
        let built = try PersonalityKit.build(target: BuildHarness.newTarget("with-referrers", host: upstream), environment: credentials)
        try #require(built.status == 0, "\(built.stderr)")
        let named = try #require(built.lastLine.split(separator: "@").first.map(String.init))
        let throughProxy = proxy.address + named.dropFirst(upstream.count)
        #expect(try PersonalityKit.referrerTypes(String(throughProxy), environment: environment) == PersonalityKit.attestationTypes)
    }

    /// ECR Public refuses a stale stored token (403 DENIED) even for public images: each command
    /// pulls anonymously after one refusal, said in one warning line; a push fails in one line.
    @Test func staleStoredCredentials() throws {
        let proxy = try PersonalityKit.proxy(TestWorld.token, [("stale-credential", [:])])
        let config = try PersonalityKit.tokenConfig(proxy.address)
        for result in [try copyFrom(proxy, environment: config), try buildFrom(proxy, environment: config)] {
            let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("samforge: warning: ") && $0.contains("refused the stored credentials") }
            #expect(warnings.count == 1, "\(result.stderr)")
            #expect(warnings.first?.contains("(HTTP 403") == true)
            #expect(warnings.first?.contains("auths entry \"\(proxy.address)\"") == true, "\(result.stderr)")
        }
        try expectTags(proxy, environment: config)
        try expectReferrers(proxy, upstream: TestWorld.token, environment: config, credentials: PersonalityKit.tokenPusher)

        let repository = TestWorld.uniqueRepository("stale-push")
        let push = try PersonalityKit.run(["copy", "--quiet", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", "\(proxy.address)/\(repository):1"],
                                          environment: config)
        #expect(push.status == 1)
        // Its first refusal is a HEAD's (no words): the line names whose credentials were refused.
        #expect(push.errorLine.contains("access denied to \(proxy.address)/\(repository): forbidden (the credentials come from \(config["DOCKER_CONFIG"] ?? "")/config.json"),
                "\(push.stderr)")
        #expect(try BuildHarness.hasNoTags("\(TestWorld.token)/\(repository)"))
    }

    /// go-containerregistry's registry answers `bytes=N-` with 416 and sends no Accept-Ranges:
    /// an interrupted download resumes with `bytes=N-M`; refusing every range, it starts again.
    @Test(arguments: [("open", 0), ("all", 1)])
    func closedRangesOnly(refuse: String, refused: Int) throws {
        let proxy = try PersonalityKit.proxy(TestWorld.plain, [("closed-range", ["refuse": refuse])])
        let layers = try #require(TestWorld.fixtures[BuildHarness.nodeBase]?.layers)
        try proxy.proxy.arm("truncate", match: "/blobs/\(layers[0])", count: 1)
        try copyFrom(proxy)
        #expect(try proxy.proxy.stats()["faults"] == 1)
        #expect(try proxy.proxy.stats()["range_refused", default: 0] == refused)
        try proxy.proxy.arm("truncate", match: "/blobs/\(layers[0])", count: 1)
        let listing = try PersonalityKit.succeed(["inspect", "--files", "0", "\(proxy.address)/\(BuildHarness.nodeBase)"])
        #expect(listing.stdout.contains("/etc/os-release"))
        try buildFrom(proxy)
        try expectTags(proxy)
        try expectReferrers(proxy, upstream: TestWorld.plain)
    }

    /// ECR and GAR redirect blob GETs to presigned storage URLs: no Authorization goes there
    /// (S3 answers 400), and an expired URL is asked for again at the registry.
    @Test func presignedStorageRedirects() throws {
        let proxy = try PersonalityKit.proxy(TestWorld.token, [("presigned", ["delay_first": "1", "delay": "1.5", "expires": "1"])])
        let config = try PersonalityKit.tokenConfig(proxy.address)
        try copyFrom(proxy, environment: config)
        try buildFrom(proxy, environment: config)
        try expectTags(proxy, environment: config)
        try expectReferrers(proxy, upstream: TestWorld.token, environment: config, credentials: PersonalityKit.tokenPusher)
        let stats = try proxy.proxy.stats()
        #expect(stats["storage_served", default: 0] > 0)
        #expect(stats["storage_with_auth", default: 0] == 0)
        #expect(stats["storage_expired", default: 0] == 1)
        #expect(stats["storage_reused", default: 0] == 0)
    }

    /// Artifactory's challenges name no scope: samforge asks for `repository:NAME:pull[,push]`.
    @Test func challengesWithoutScope() throws {
        let proxy = try PersonalityKit.proxy(TestWorld.token, [("no-scope", [:])])
        let repository = "\(proxy.address)/\(TestWorld.uniqueRepository("no-scope"))"
        let pushed = try PersonalityKit.succeed(["copy", "--quiet", "\(TestWorld.plain)/\(Self.nodeRepository):1.143.0", "\(repository):1"],
                                                environment: PersonalityKit.tokenPusher)
        try PersonalityKit.validateBehind(proxy, pushed, upstream: TestWorld.token)
        try copyFrom(proxy)
        let built = try PersonalityKit.build(target: repository, host: proxy.address, environment: PersonalityKit.tokenPusher)
        try #require(built.status == 0, "\(built.stderr)")
        try PersonalityKit.validateBehind(proxy, built, upstream: TestWorld.token)
        try expectTags(proxy)
        #expect(try PersonalityKit.referrerTypes(String(built.lastLine.split(separator: "@")[0])) == PersonalityKit.attestationTypes)
    }

    /// ECR's challenge is Basic (realm and service, no token endpoint); credentials it rejects
    /// are said to be rejected, with where they came from (DOCKER_PASSWORD, a config file).
    @Test func basicOnlyChallenge() throws {
        let proxy = try PersonalityKit.proxy(TestWorld.basic, [("ecr-basic", [:])])
        let pusher = ["DOCKER_USERNAME": TestWorld.basicUser, "DOCKER_PASSWORD": TestWorld.basicPassword]
        let reader = ["DOCKER_CONFIG": try TestWorld.dockerConfig(host: proxy.address, user: TestWorld.basicUser, password: TestWorld.basicPassword)]
        let repository = "\(proxy.address)/\(TestWorld.uniqueRepository("ecr-basic"))"
        let built = try PersonalityKit.build(target: repository, environment: pusher)
        try #require(built.status == 0, "\(built.stderr)")
        #expect(try PersonalityKit.referrerTypes(String(built.lastLine.split(separator: "@")[0]), environment: reader) == PersonalityKit.attestationTypes)
        try copyFrom(proxy, environment: reader)
        try buildFrom(proxy, environment: reader)
        try expectTags(proxy, environment: reader)

        let wrong = try PersonalityKit.run(["copy", "--quiet", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", "\(repository):2"],
                                           environment: pusher.merging(["DOCKER_PASSWORD": "not-the-password"]) { $1 })
        #expect(wrong.status == 1)
        #expect(wrong.errorLine.contains("authentication failed for \(proxy.address): the registry rejected the credentials (HTTP 401"), "\(wrong.stderr)")
        #expect(wrong.errorLine.hasSuffix(" (the credentials come from DOCKER_USERNAME/DOCKER_PASSWORD)"), "\(wrong.stderr)")
        let badConfig = try TestWorld.dockerConfig(host: proxy.address, user: TestWorld.basicUser, password: "not-the-password")
        let reading = try PersonalityKit.run(["inspect", "\(proxy.address)/\(BuildHarness.nodeBase)"], environment: ["DOCKER_CONFIG": badConfig])
        #expect(reading.status == 1)
        #expect(reading.errorLine.contains("(the credentials come from \(badConfig)/config.json, auths entry \"\(proxy.address)\")"), "\(reading.stderr)")
        #expect(!wrong.stderr.contains("not-the-password") && !reading.stderr.contains("not-the-password"))
    }

    /// Docker Hub's abuse limit: a text/plain 429 with Retry-After, never read as JSON; waited
    /// for when the command's --timeout allows, else one line that says how long it asked for.
    @Test func abuseLimit() throws {
        let proxy = try PersonalityKit.proxy(TestWorld.plain, [("hub-abuse", ["count": "2", "retry_after": "1"])])
        let copied = try copyFrom(proxy)
        #expect(copied.stderr.contains(": HTTP 429"), "\(copied.stderr)")
        #expect(!copied.stderr.contains("invalid character"))
        try proxy.proxy.personality("hub-abuse", ["count": "1", "retry_after": "1"])
        try buildFrom(proxy)
        try proxy.proxy.personality("hub-abuse", ["count": "1", "retry_after": "0"])
        try expectTags(proxy)
        try proxy.proxy.personality("hub-abuse", ["count": "1", "retry_after": "0"])
        try expectReferrers(proxy, upstream: TestWorld.plain)

        // The manifest's HEAD and GET both limited, for longer than --timeout leaves.
        try proxy.proxy.personality("hub-abuse", ["count": "2", "retry_after": "60", "match": "/manifests/"])
        let limited = try PersonalityKit.run(["inspect", "--timeout", "5s", "\(proxy.address)/\(BuildHarness.nodeBase)"])
        #expect(limited.status == 1)
        #expect(limited.errorLine.contains("rate limited by \(proxy.address): Too Many Requests (HAP429). (it asks to wait 60 s)"), "\(limited.stderr)")
        #expect(try proxy.proxy.stats()["abuse_429"] == 7)
    }
}
