import Foundation
import Testing
import TestSupport

/// One token request per registry, repository and scope set per run: concurrent transfers wait
/// for the first request instead of sending their own, and the repository a command pushes to
/// gets push with the first token, which then serves its pulls and checks too. Counted at the
/// token issuer, through a fault proxy that names itself as the realm (`token-relay`).
@Suite("Token requests per run", .enabled(if: TestWorld.available))
struct TokenEconomyTests {
    func relay() throws -> PrivateFaultProxy {
        try PersonalityKit.proxy(TestWorld.token, [("token-relay", ["issuer": String(TestWorld.tokenIssuer.dropFirst("http://".count))])])
    }

    func tokens(_ proxy: PrivateFaultProxy) throws -> [[String]] {
        let record = try #require(proxy.proxy.personalityRecord()["token_scopes"] as? [[String: Any]])
        return record.compactMap { $0["scopes"] as? [String] }
    }

    /// A two-platform index (eight blobs), eight transfers at once, into the token registry:
    /// one token, for pull and push on the destination.
    @Test func aCopyAsksOnce() throws {
        let proxy = try relay()
        let repository = TestWorld.uniqueRepository("one-token")
        let copied = try PersonalityKit.succeed(["copy", "--quiet", "--jobs", "8", "\(TestWorld.plain)/sam/build-nodejs18.x:1.143.0",
                                                 "\(proxy.address)/\(repository):1"], environment: PersonalityKit.tokenPusher)
        try PersonalityKit.validateBehind(proxy, copied, upstream: TestWorld.token)
        #expect(try tokens(proxy) == [["repository:\(repository):pull,push"]])
    }

    /// Within the registry (mounts need pull on the source and push on the target in one token):
    /// one token for both.
    @Test func aCopyWithinTheRegistryAsksOnce() throws {
        let proxy = try relay()
        let repository = TestWorld.uniqueRepository("one-token-mount")
        let copied = try PersonalityKit.succeed(["copy", "--quiet", "--jobs", "8", "\(proxy.address)/sam/build-nodejs18.x:1.143.0",
                                                 "\(proxy.address)/\(repository):1"], environment: PersonalityKit.tokenPusher)
        try PersonalityKit.validateBehind(proxy, copied, upstream: TestWorld.token)
        let asked = try tokens(proxy)
        #expect(asked.count == 1, "\(asked)")
        #expect(Set(asked.first ?? []) == ["repository:sam/build-nodejs18.x:pull", "repository:\(repository):pull,push"])
    }

    /// A build reading its three inputs from the registry it pushes to: one token per input
    /// repository (each carrying push on the target), never the same scope set twice.
    @Test func aBuildAsksOncePerRepository() throws {
        let proxy = try relay()
        let repository = TestWorld.uniqueRepository("one-token-build")
        let built = try PersonalityKit.build(target: "\(proxy.address)/\(repository)", host: proxy.address, environment: PersonalityKit.tokenPusher)
        try #require(built.status == 0, "\(built.stderr)")
        try PersonalityKit.validateBehind(proxy, built, upstream: TestWorld.token)
        let asked = try tokens(proxy)
        #expect(asked.count == 3, "\(asked)")
        #expect(Set(asked.map { $0.sorted() }).count == asked.count, "a scope set asked twice: \(asked)")
        #expect(asked.allSatisfy { $0.contains("repository:\(repository):pull,push") }, "\(asked)")
    }
}
