import Registry
import Assembly
import Testing
@testable import SAM

@Suite("Tags, timestamps and the target repository")
struct SAMTagsTests {
    @Test func primaryAndTimestampedTags() {
        let primary = SAMTags.primary(version: "1.1.2", runtime: "nodejs18.x", samVersion: "1.143.0")
        #expect(primary == "1.1.2-nodejs18.x-1.143.0-linux-amd64")
        #expect(SAMTags.timestamped(primary, timestamp: "20250102030405") == "1.1.2-nodejs18.x-1.143.0-linux-amd64-20250102030405")
    }

    @Test(arguments: [
        (Int64(0), "19700101000000", "1970-01-01T00:00:00Z"),
        (Int64(1_700_000_000), "20231114221320", "2023-11-14T22:13:20Z"),
        (Int64(951_782_400), "20000229000000", "2000-02-29T00:00:00Z"),
    ])
    func timestamps(epoch: Int64, tag: String, rfc3339: String) {
        #expect(SAMTags.timestamp(epoch: epoch) == tag)
        #expect(SAMTags.rfc3339(epoch: epoch) == rfc3339)
    }

    @Test(arguments: ["1.1.2", "1.1.2-beta", "v2_rc.1", "0"])
    func validVersions(_ version: String) throws {
        try SAMTags.validateVersion(version, runtime: "nodejs18.x", samVersion: "1.143.0")
    }

    @Test(arguments: ["", "-1.0", ".1", "1.0/x", "1.0:x", "1 0", "1.0@sha", "é1", String(repeating: "9", count: 90)])
    func invalidVersions(_ version: String) {
        #expect(throws: SAMInputError.self) { try SAMTags.validateVersion(version, runtime: "nodejs18.x", samVersion: "1.143.0") }
    }

    @Test(arguments: [
        ("your_account/aws-sam-plugin", "docker.io", "your_account/aws-sam-plugin"),
        ("127.0.0.1:5000/test/plugin", "127.0.0.1:5000", "test/plugin"),
        ("localhost/plugin", "localhost", "plugin"),
        ("aws-sam-plugin", "docker.io", "library/aws-sam-plugin"),
    ])
    func targetRepositories(text: String, registry: String, repository: String) throws {
        let target = try TargetRepository(parsing: text)
        #expect(target.text == text)
        let reference = try #require(target.reference)
        #expect(reference.registry == registry)
        #expect(reference.repository == repository)
        #expect(reference.tag == nil && reference.digest == nil)
    }

    @Test(arguments: [
        ("oci:/tmp/layout", nil as String?), ("oci:/tmp/layout:team/plugin", "team/plugin:1.0"),
        ("docker-archive:/tmp/a.tar", "aws-sam-plugin:1.0"), ("docker-archive:/tmp/a.tar:example.test/team/plugin", "example.test/team/plugin:1.0"),
    ])
    func localTargets(_ text: String, archiveOrLayoutName: String?) throws {
        let target = try TargetRepository(parsing: text)
        #expect(target.reference == nil)
        let opened = try target.location.openTarget(client: RegistryClient())
        let expected = archiveOrLayoutName ?? "1.0"
        #expect(opened.name(forTag: "1.0", defaultRepository: TargetRepository.defaultArchiveRepository) == expected)
    }

    @Test(arguments: [
        "repo/name:tag", "127.0.0.1:5000/test/plugin:1", "localhost:5000",
        "repo/name@sha256:" + String(repeating: "b", count: 64), "Repo/Name", "repo//name", "",
        "oci:/tmp/layout:team/plugin:1", "docker-archive:/tmp/a.tar:team/plugin:1", "scratch",
    ])
    func rejectedTargets(_ text: String) {
        #expect(throws: SAMInputError.self) { try TargetRepository(parsing: text) }
    }
}
