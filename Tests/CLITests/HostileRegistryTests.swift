import Foundation
import Testing
import TestSupport

/// A registry that lies: tag lists with names that are paths or terminal escapes, `Link`
/// pagination that loops or leaves for another host. Each test has its own fault proxy in
/// front of the plain registry, so the faults and counters are its own.
@Suite("Hostile registry", .enabled(if: TestWorld.available))
struct HostileRegistryTests {
    /// A repository on the plain registry with the tags `v1` and `v2`.
    static func taggedRepository(_ prefix: String) throws -> String {
        let repository = TestWorld.uniqueRepository(prefix)
        for tag in ["v1", "v2"] {
            try CopyKit.succeed(["copy", "--quiet", "\(TestWorld.plain)/library/docker:26.0.1-cli", "\(TestWorld.plain)/\(repository):\(tag)"])
        }
        return repository
    }

    static func warnings(_ result: CommandResult) -> [String] {
        result.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { $0.hasPrefix("samforge: warning: ") }
    }

    /// Nothing a registry names reaches the terminal raw: no escape, bell or bidi character.
    static func isPlainText(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0 == "\n" || (0x20...0x7e).contains($0.value) || $0 == "…" }
    }

    @Test func tagsSkipsNamesOutsideTheGrammar() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        let repository = try Self.taggedRepository("hostile-tags")
        try proxy.proxy.arm("hostiletags", match: repository, count: 100)
        for pageSize in ["1000", "3"] {
            let result = try CopyKit.succeed(["tags", "--page-size", pageSize, "\(proxy.address)/\(repository)"])
            #expect(result.stdout == "v1\nv2\n")
            let warnings = Self.warnings(result)
            #expect(warnings.count == 1, "\(result.stderr)")
            #expect(warnings.first?.contains("lists 13 tags that are not valid tag names; skipped: ") == true, "\(result.stderr)")
            #expect(Self.isPlainText(result.stderr), "\(result.stderr)")
        }
    }

    /// The tag `../../../victim/app/manifests/prod` must never become
    /// `PUT /v2/…/victim/app/manifests/prod`: every PUT stays inside DST's repository.
    @Test func copyAllTagsWritesOnlyInsideTheDestination() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        let source = try Self.taggedRepository("hostile-src")
        let base = TestWorld.uniqueRepository("hostile-dst")
        let destination = base + "/team/app"
        try proxy.proxy.arm("hostiletags", match: source, count: 100)
        let result = try CopyKit.succeed(["copy", "--all-tags", "--quiet", "\(proxy.address)/\(source)", "\(proxy.address)/\(destination)"])
        #expect(Self.warnings(result).count == 1, "\(result.stderr)")
        #expect(Self.isPlainText(result.stderr), "\(result.stderr)")
        let puts = try proxy.proxy.puts()
        #expect(!puts.isEmpty)
        for path in puts { #expect(path.hasPrefix("/v2/\(destination)/"), "PUT outside the destination: \(path)") }
        // The registry itself: the good tags are there, the victim repository has no tag.
        let copied = try CopyKit.rawDigest("docker://\(TestWorld.plain)/\(source):v1")
        for tag in ["v1", "v2"] {
            #expect(try CopyKit.rawDigest("docker://\(TestWorld.plain)/\(destination):\(tag)") == copied)
        }
        for victim in ["\(base)/victim/app", "\(base)/team/prod", "victim/app"] {
            #expect(try TestWorld.registryStatus("/v2/\(victim)/tags/list") == 404, "\(victim) was written")
        }
        let listed = try CopyKit.succeed(["tags", "\(TestWorld.plain)/\(destination)"]).stdout
        #expect(listed == "v1\nv2\n")
    }

    /// A `rel="next"` back to the first page: the listing stops at the repeat, with every tag
    /// once and one warning, after as many requests as there are pages.
    @Test func linkLoopEndsTheListing() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        let repository = try Self.taggedRepository("loop-tags")
        try proxy.proxy.arm("looptags", match: repository, count: 100)
        let result = try CopyKit.succeed(["tags", "--page-size", "1", "\(proxy.address)/\(repository)"])
        #expect(result.stdout == "v1\nv2\n")
        #expect(Self.warnings(result).count == 1)
        #expect(Self.warnings(result).first?.contains("points back to a page already read") == true, "\(result.stderr)")
        #expect(try proxy.proxy.stats()["tag_pages"] == 2)
    }

    /// Pages that never end (each Link new, each page the same tags): bounded, one error line.
    @Test func endlessPaginationIsAnError() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        let repository = try Self.taggedRepository("endless-tags")
        try proxy.proxy.arm("endlesstags", match: repository, count: 10_000)
        let result = try CopyKit.samforge(["tags", "\(proxy.address)/\(repository)"])
        #expect(result.status == 1)
        #expect(CopyKit.errorLine(result).contains("more than 1000 pages"), "\(result.stderr)")
        #expect(try proxy.proxy.stats()["tag_pages"] == 1000)
    }

    /// A `Link` to another host is followed, but the registry's credentials stay at home; the
    /// next page's Link, path-absolute, is on that host too (RFC 3986), and so without them.
    @Test func linkToAnotherHostCarriesNoCredentials() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.token)
        let config = try TestWorld.dockerConfig(host: proxy.address, user: TestWorld.tokenUser, password: TestWorld.tokenPassword)
        try proxy.proxy.arm("linkhost", match: "sam/build-nodejs18.x/tags/list", count: 1)
        let result = try CopyKit.succeed(["tags", "--page-size", "1", "\(proxy.address)/sam/build-nodejs18.x"],
                                         environment: ["DOCKER_CONFIG": config])
        #expect(result.stdout == "1.143.0\n1.143.0-20250502200316-arm64\n1.143.0-20250502200316-x86_64\n")
        let stats = try proxy.proxy.stats()
        #expect(stats["redirected_without_auth"] == 2)
        #expect(stats["redirected_with_auth"] == 0)
    }
}

/// A token realm on another host over plain HTTP: the registry's Basic credentials go there
/// only when that host is loopback or named by --insecure-registry. The proxy in front of the
/// token registry names `0.0.0.0` as the realm's host: not loopback by name, yet reachable here.
@Suite("Token realm on another host", .enabled(if: TestWorld.available))
struct TokenRealmTests {
    static var issuerPort: String { String(TestWorld.tokenIssuer.split(separator: ":").last ?? "") }

    static func tags(_ proxy: PrivateFaultProxy, credentials: Bool, flags: [String]) throws -> CommandResult {
        let config = credentials
            ? try TestWorld.dockerConfig(host: proxy.address, user: TestWorld.tokenUser, password: TestWorld.tokenPassword)
            : try TemporaryDirectory().path
        return try CopyKit.samforge(["tags"] + flags + ["\(proxy.address)/sam/build-nodejs18.x"], environment: ["DOCKER_CONFIG": config])
    }

    @Test func credentialsGoOverPlainHTTPOnlyToARealmNamedInsecure() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.token)
        try proxy.proxy.arm("realm", match: "", count: 1000, ["host": "0.0.0.0"])
        let realm = "0.0.0.0:\(Self.issuerPort)"
        for flags in [[], ["--insecure-registry", proxy.address]] {
            let refused = try Self.tags(proxy, credentials: true, flags: flags)
            #expect(refused.status == 1)
            #expect(CopyKit.errorLine(refused).contains("refusing to send credentials to \(realm) over plain HTTP"), "\(flags): \(refused.stderr)")
            #expect(refused.stdout.isEmpty)
        }
        for flags in [["--insecure-registry", realm], ["--insecure-registry", "0.0.0.0"]] {
            let allowed = try Self.tags(proxy, credentials: true, flags: flags)
            #expect(allowed.status == 0, "\(flags): \(allowed.stderr)")
            #expect(allowed.stdout.hasPrefix("1.143.0\n"))
        }
        // Anonymous: nothing secret travels, so no flag is needed.
        let anonymous = try Self.tags(proxy, credentials: false, flags: [])
        #expect(anonymous.status == 0, "\(anonymous.stderr)")
    }
}
