import Foundation
import Testing
import TestSupport

/// `samforge tags` against the test world. Distribution 2.8 ignores `n` and never sends Link
/// headers, so pagination goes through scripts/fault-proxy.py, which pages the real registry's
/// tag list in front of the token registry.
@Suite("tags", .enabled(if: TestWorld.available))
struct TagsTests {
    @Test func listsTheRepositoryTagsAsSkopeoDoes() throws {
        let repository = "\(TestWorld.plain)/sam/build-nodejs18.x"
        let ours = try CopyKit.succeed(["tags", repository]).stdout.split(separator: "\n").map(String.init)
        let skopeo = try CopyKit.skopeo(["list-tags", "--tls-verify=false", "docker://\(repository)"])["Tags"] as? [String]
        #expect(ours == ["1.143.0", "1.143.0-20250502200316-arm64", "1.143.0-20250502200316-x86_64"])
        #expect(ours.sorted() == skopeo?.sorted())

        let json = try CopyKit.succeed(["tags", "--json", "docker://" + repository]).stdout
        #expect(try JSONDecoder().decode([String].self, from: Data(json.utf8)) == ours)
    }

    @Test func tokenRegistryWithDockerConfig() throws {
        let config = try TestWorld.dockerConfig(host: TestWorld.token, user: TestWorld.tokenUser, password: TestWorld.tokenPassword)
        let result = try CopyKit.succeed(["tags", "\(TestWorld.token)/library/docker"], environment: ["DOCKER_CONFIG": config])
        #expect(result.stdout == "26.0.1-cli\n")
    }

    @Test func followsLinkPagination() throws {
        // The proxy in front of the plain registry: the client fault tests reset the other one's
        // counters at any time.
        let proxy = FaultProxy()
        let repository = "\(proxy.address)/" + TestWorld.uniqueRepository("paged")
        for tag in ["v0", "v1", "v2", "v3", "v4"] {
            _ = try CopyKit.succeed(["copy", "--quiet", "\(TestWorld.plain)/library/docker:26.0.1-cli", "\(repository):\(tag)"])
        }
        let before = try proxy.stats()["tag_pages"] ?? 0
        let paged = try CopyKit.succeed(["tags", "--page-size", "2", repository])
        #expect(paged.stdout == "v0\nv1\nv2\nv3\nv4\n")
        // Three pages of at most two tags, each found through the previous page's Link header.
        #expect(try proxy.stats()["tag_pages"] == before + 3)
    }

    @Test(arguments: [
        (["tags", "localhost:1/team/app:v1"], Int32(2), "tags takes a repository without a tag or digest"),
        (["tags", "oci:/tmp/layout"], 2, "tags lists a registry repository"),
    ])
    func badInputs(arguments: [String], status: Int32, message: String) throws {
        let result = try CopyKit.samforge(arguments)
        #expect(result.status == status)
        #expect(CopyKit.errorLine(result).contains(message), "\(result.stderr)")
    }

    @Test func unknownRepository() throws {
        let result = try CopyKit.samforge(["tags", "\(TestWorld.plain)/no/such-repository"])
        #expect(result.status == 1)
        #expect(CopyKit.errorLine(result).contains("repository not found"), "\(result.stderr)")
    }
}
