import Foundation
import Testing
import TestSupport

/// `copy`, `build`, `tags` and `inspect --referrers` through a registry that takes uploads as
/// ECR (mounts answered 202; PATCH answered 201 with a stuck Range; ECR Public's upload-status
/// 404), a registry with a minimum chunk (announced or not), GAR (no chunked uploads) or ACR
/// (no `bytes ` in Content-Range) does. Each upload is cut half-way once, so it goes on in
/// chunks (or, refused, in one whole PUT); every image is read back from the registry itself.
@Suite("Pushes as ECR, GAR and ACR take them", .enabled(if: TestWorld.available))
struct UploadPersonalityCLITests {
    /// A local image with a 12 MiB layer: its upload, from a file, resumes in chunks.
    static let layout = Result { try PersonalityKit.layoutWithLargeLayer() }

    @Test(arguments: [
        ("ecr-mount", [String: String](), "mount_202"),
        ("ecr-patch", [:], ""),
        ("ecr-patch", ["status404": "1"], "upload_status_404"),
        ("chunk-min", ["min": "9437184", "announce": "1"], ""),
        ("chunk-min", ["min": "10485760"], "chunk_refused"),
        ("monolithic", [:], "patch_refused"),
        ("acr-range", [:], ""),
    ])
    func copyBuildTagsInspect(personality: String, parameters: [String: String], counter: String) throws {
        let proxy = try PersonalityKit.proxy(TestWorld.plain, [(personality, parameters)])
        let repository = TestWorld.uniqueRepository(personality)
        let target = "\(proxy.address)/\(repository)"

        // copy: the large layer's upload is cut after half its body reached the registry.
        try proxy.proxy.arm("cut", match: "\(repository)/blobs/uploads/", count: 1, ["larger": String(4 << 20)])
        let copied = try PersonalityKit.succeed(["copy", "--quiet", try Self.layout.get(), "\(target):copied"])
        try PersonalityKit.validateBehind(proxy, copied, upstream: TestWorld.plain)
        #expect(try proxy.proxy.stats()["faults"] == 1)
        #expect(try !proxy.proxy.requests(matching: "PATCH /v2/\(repository)/").isEmpty, "no chunk was sent")

        // copy within the registry: a mount (ECR: answered with a session, in which each blob's
        // upload goes on: one POST per blob, none deleted).
        let mounted = try PersonalityKit.succeed(["copy", "--quiet", "\(target):copied", "\(target)-mirror:1"])
        try PersonalityKit.validateBehind(proxy, mounted, upstream: TestWorld.plain)
        try expectNoOpenMountSessions(proxy)
        // Mount POSTs only: a plain POST would be a second session for a blob the mount refused.
        let sessions = try proxy.proxy.requests(matching: "POST /v2/\(repository)-mirror/blobs/uploads/")
        if personality == "ecr-mount" { #expect(sessions.allSatisfy { $0.contains("mount=") }, "a blob opened a second session: \(sessions)") }
        #expect(try proxy.proxy.requests(matching: "DELETE /v2/\(repository)-mirror/").isEmpty)

        // build: inputs from the same registry (base layers mount), new layers and config cut once.
        try proxy.proxy.arm("cut", match: "\(repository)/blobs/uploads/", count: 2)
        let built = try PersonalityKit.build(target: target, host: proxy.address)
        try #require(built.status == 0, "\(built.stderr)")
        try PersonalityKit.validateBehind(proxy, built, upstream: TestWorld.plain)
        try expectNoOpenMountSessions(proxy)

        // tags: every tag the registry itself holds, the referrers' tags too.
        let listed = try PersonalityKit.tags(target)
        let direct = try CopyKit.skopeo(["list-tags", "--tls-verify=false", "docker://\(TestWorld.plain)/\(repository)"])["Tags"] as? [String]
        #expect(listed.sorted() == direct?.sorted())
        #expect(listed.contains("copied") && listed.contains { $0.hasPrefix("1.1.2-nodejs18.x-") })
        #expect(listed.filter { $0.hasPrefix("sha256-") }.count == 2)

        // inspect --referrers: the build's SBOM and provenance.
        #expect(try PersonalityKit.referrerTypes(try #require(built.lastLine.split(separator: "@").first.map(String.init)))
                == PersonalityKit.attestationTypes)

        // What the personality did, and what samforge never sent (`bytes ` in Content-Range).
        if !counter.isEmpty { #expect(try proxy.proxy.stats()[counter, default: 0] >= 1, "\(counter)") }
        #expect(try proxy.proxy.stats()["content_range_refused", default: 0] == 0)
    }

    /// Every upload session a 202 mount opened was deleted: the registry no longer knows it.
    func expectNoOpenMountSessions(_ proxy: PrivateFaultProxy) throws {
        for session in try proxy.proxy.personalityRecord()["mount_sessions"] as? [String] ?? [] {
            #expect(try TestWorld.registryStatus(session) == 404, "upload session left open: \(session)")
        }
    }
}
