import Foundation
import Testing
import TestSupport

/// What a registry refuses, said in one line with the likely cause, and nothing tagged: zot's
/// OCI-only gate and its tags that may not change kind, Harbor's 401 for a project that does
/// not exist, ECR's NAME_UNKNOWN for a repository not created; and `?tag=` where a registry
/// applies only some of the tags (distribution-spec PR #600).
@Suite("Refusals as zot, Harbor and ECR answer them", .enabled(if: TestWorld.available))
struct RefusalPersonalityCLITests {
    func errorLines(_ result: CommandResult) -> [Substring] {
        result.stderr.split(separator: "\n").filter { $0.hasPrefix("samforge: error: ") }
    }

    /// zot without Docker compatibility: a Docker schema2 image is refused with a line that says
    /// to write OCI; `--format oci` is taken. A tag may not move from an index to an image.
    @Test func anOCIOnlyRegistry() throws {
        let proxy = try PersonalityKit.proxy(TestWorld.plain, [("zot-media", [:])])
        let repository = TestWorld.uniqueRepository("zot")
        let target = "\(proxy.address)/\(repository)"
        for command in [["copy", "--quiet", "\(TestWorld.plain)/sam/build-nodejs18.x:1.143.0", "\(target):docker"],
                        try BuildHarness.arguments(target: target)] {
            let refused = try PersonalityKit.run(command, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(errorLines(refused).count == 1)
            #expect(refused.errorLine.contains("the registry takes OCI manifests only and refused a Docker schema2 one: write OCI with --format oci"),
                    "\(refused.stderr)")
        }
        #expect(try BuildHarness.hasNoTags("\(TestWorld.plain)/\(repository)"))

        let oci = try PersonalityKit.succeed(["copy", "--quiet", "--format", "oci", "\(TestWorld.plain)/sam/build-nodejs18.x:1.143.0", "\(target):1"])
        try PersonalityKit.validateBehind(proxy, oci, upstream: TestWorld.plain)
        let built = try PersonalityKit.build(target: target, base: BuildHarness.pythonBase)
        try #require(built.status == 0, "\(built.stderr)")
        try PersonalityKit.validateBehind(proxy, built, upstream: TestWorld.plain)
        #expect(try PersonalityKit.referrerTypes(String(built.lastLine.split(separator: "@")[0])) == PersonalityKit.attestationTypes)
        #expect(try PersonalityKit.tags(target).contains("1"))

        let moved = try PersonalityKit.run(["copy", "--quiet", "--format", "oci", "\(TestWorld.plain)/\(BuildHarness.pythonBase)", "\(target):1"])
        #expect(moved.status == 1)
        #expect(moved.errorLine.contains("as 1: refused with HTTP 400") && moved.errorLine.contains("will not change the kind of manifest a tag names"),
                "\(moved.stderr)")
        #expect(try CopyKit.rawDigest("docker://\(TestWorld.plain)/\(repository):1") == String(oci.lastLine.split(separator: "@")[1]))
    }

    /// Harbor answers 401 for a project that does not exist (the token was granted): the line
    /// says the project may not exist; ECR answers NAME_UNKNOWN: create the repository (or a
    /// CREATE_ON_PUSH template). Pushes and pulls, through copy and build; nothing is tagged.
    @Test(arguments: [
        ("harbor-project", TestWorld.token, "the project or namespace \"missingproject\" may not exist (Harbor creates none on push: create it first)"),
        ("ecr-no-repo", TestWorld.plain, "create it first (ECR: aws ecr create-repository, or a CREATE_ON_PUSH repository creation template)"),
    ])
    func missingNamespaces(personality: String, upstream: String, hint: String) throws {
        let proxy = try PersonalityKit.proxy(upstream, [(personality, ["missing": "missingproject"])])
        let repository = "missingproject/app-\(UUID().uuidString.prefix(8).lowercased())"
        let credentials = upstream == TestWorld.token ? PersonalityKit.tokenPusher : [:]
        let copied = try PersonalityKit.run(["copy", "--quiet", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", "\(proxy.address)/\(repository):1"],
                                            environment: credentials)
        let built = try PersonalityKit.build(target: "\(proxy.address)/\(repository)", environment: credentials)
        for result in [copied, built] {
            #expect(result.status == 1)
            #expect(errorLines(result).count == 1)
            #expect(result.errorLine.contains(hint), "\(result.stderr)")
        }
        #expect(try BuildHarness.hasNoTags("\(upstream)/\(repository)"))
        // Existing repositories behind the same proxy work as ever.
        let fine = try PersonalityKit.succeed(["copy", "--quiet", "\(TestWorld.plain)/\(BuildHarness.nodeBase)",
                                               "\(proxy.address)/\(TestWorld.uniqueRepository(personality)):1"], environment: credentials)
        try PersonalityKit.validateBehind(proxy, fine, upstream: upstream)
    }

    /// A registry that applies only the first of the tags a `?tag=` PUT names: the others get a
    /// PUT of their own, so every tag a build names is there.
    @Test func tagsAppliedOnlyInPart() throws {
        let proxy = try PersonalityKit.proxy(TestWorld.plain, [("tag-echo", ["apply": "1"])])
        let repository = TestWorld.uniqueRepository("tag-echo")
        let built = try PersonalityKit.build(target: "\(proxy.address)/\(repository)", extra: ["--timestamp-tag"])
        try #require(built.status == 0, "\(built.stderr)")
        try PersonalityKit.validateBehind(proxy, built, upstream: TestWorld.plain)
        let tags = try PersonalityKit.tags("\(proxy.address)/\(repository)").filter { !$0.hasPrefix("sha256-") }
        #expect(tags.count == 2, "\(tags)")
        for tag in tags { #expect(try PersonalityKit.hasTag(TestWorld.plain, repository, tag)) }
        let puts = try proxy.proxy.puts(matching: "\(repository)/manifests/")
        #expect(puts.filter { $0.contains("?tag=") }.count == 1, "\(puts)")
        #expect(puts.filter { path in tags.contains { path.hasSuffix("/manifests/\($0)") } }.count == 1, "\(puts)")
        #expect(try PersonalityKit.referrerTypes("\(proxy.address)/\(repository):\(tags[0])") == PersonalityKit.attestationTypes)
    }
}
