import Foundation
import Testing
import TestSupport

/// `tags` and `copy --all-tags` against tag lists paged as Quay (50 a page, opaque next_page
/// tokens), ACR (n ignored), distribution 3.1 (n above its maximum refused) and registries that
/// send relative Link URLs; every tag the registry holds, each once, in its order.
@Suite("Tag lists as Quay, ACR and distribution 3 page them", .enabled(if: TestWorld.available))
struct TagPagingPersonalityTests {
    static let names = (0..<130).map { String(format: "v%03d", $0) }

    /// One image under 130 tags in a new repository of the plain registry (tags PUT directly).
    static func repositoryWithManyTags() throws -> String {
        let repository = TestWorld.uniqueRepository("paged")
        try PersonalityKit.succeed(["copy", "--quiet", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", "\(TestWorld.plain)/\(repository):\(names[0])"])
        let script = """
        import sys, urllib.request
        base, first = sys.argv[1], sys.argv[2]
        kind = "application/vnd.docker.distribution.manifest.v2+json"
        body = urllib.request.urlopen(urllib.request.Request(base + "/manifests/" + first, headers={"Accept": kind})).read()
        for tag in sys.argv[3:]:
            urllib.request.urlopen(urllib.request.Request(base + "/manifests/" + tag, method="PUT", data=body, headers={"Content-Type": kind}))
        """
        let result = try Command.run("python3", ["-c", script, "http://\(TestWorld.plain)/v2/\(repository)", names[0]] + Array(names.dropFirst()))
        try #require(result.status == 0, "\(result.stderr)")
        return repository
    }

    @Test(arguments: [
        ("tags-quay", ["size": "50"], [String](), 3),
        ("tags-relative", [:], ["--page-size", "50"], 3),
        ("tags-ignore-n", ["size": "1000"], ["--page-size", "7"], 1),
        ("tags-max-n", ["max": "100"], [], 3),
    ])
    func everyTagOnce(personality: String, parameters: [String: String], flags: [String], pages: Int) throws {
        let repository = try Self.repositoryWithManyTags()
        let proxy = try PersonalityKit.proxy(TestWorld.plain, [(personality, parameters)])
        #expect(try PersonalityKit.tags("\(proxy.address)/\(repository)", extra: flags) == Self.names)
        #expect(try proxy.proxy.stats()["tag_pages"] == pages)  // tags-max-n: n=1000 refused, then 100 + 30
        let json = try PersonalityKit.succeed(["tags", "--json"] + flags + ["\(proxy.address)/\(repository)"])
        #expect(try JSONDecoder().decode([String].self, from: Data(json.stdout.utf8)) == Self.names)
    }

    /// `copy --all-tags` through Quay-style pages of 4: every tag of a 9-tag repository.
    @Test func copyAllTagsFollowsOpaquePages() throws {
        let source = TestWorld.uniqueRepository("all-tags")
        for tag in (1...9).map({ "r\($0)" }) {
            try PersonalityKit.succeed(["copy", "--quiet", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", "\(TestWorld.plain)/\(source):\(tag)"])
        }
        let proxy = try PersonalityKit.proxy(TestWorld.plain, [("tags-quay", ["size": "4"])])
        let target = TestWorld.uniqueRepository("all-tags-copy")
        let copied = try PersonalityKit.succeed(["copy", "--all-tags", "--quiet", "\(proxy.address)/\(source)", "\(TestWorld.plain)/\(target)"])
        #expect(copied.stdout.split(separator: "\n").count == 9)
        #expect(try PersonalityKit.tags("\(TestWorld.plain)/\(target)").sorted() == (1...9).map { "r\($0)" })
        #expect(try proxy.proxy.stats()["tag_pages"] == 3)
    }
}
