import Foundation
import Testing
import TestSupport

/// Referrers through registries that answer the Referrers API as GHCR (404, or 303 to a
/// rate-limited web page), GAR (302 to a sign-in page), GitLab's dependency proxy (HTML 404),
/// a "false 200" (an empty list whatever exists), ECR in 2024 (OCI-Subject without an API), a
/// working API, GitLab (the subject must exist first) and ECR (no referrers of an index).
/// `build` attaches, `inspect --referrers` finds, `copy` carries, `tags` lists; checked at the
/// registry itself.
@Suite("Referrers as GHCR, GAR, GitLab and ECR answer them", .enabled(if: TestWorld.available))
struct ReferrerPersonalityCLITests {
    static let noAPI = ["referrers-404-json", "referrers-303-429", "referrers-302-html", "referrers-404-html",
                        "referrers-false-200", "lying-subject", "subject-must-exist"]

    /// The image `line` names (`PROXY/REPO:TAG@sha256:…`): its repository, tag and digest.
    func parts(_ line: String, host: String) throws -> (repository: String, tag: String, digest: String) {
        let (repository, tag) = try PersonalityKit.tagged(line, host: host)
        return (repository, tag, String(line.split(separator: "@").last ?? ""))
    }

    func fallbackIndex(_ repository: String, of digest: String) throws -> [String] {
        let index = try BuildHarness.rawManifest("\(TestWorld.plain)/\(repository):sha256-\(digest.dropFirst("sha256:".count))")
        return ((index["manifests"] as? [[String: Any]]) ?? []).compactMap { $0["artifactType"] as? String }.sorted()
    }

    @Test(arguments: noAPI + ["referrers-api"])
    func buildInspectCopyTags(personality: String) throws {
        let proxy = try PersonalityKit.proxy(TestWorld.plain, [(personality, [:])])
        let target = "\(proxy.address)/\(TestWorld.uniqueRepository(personality))"

        // build attaches its SBOM and provenance: by the registry's API when it has a working
        // one, else (whatever it claims) through the referrers tag schema.
        let built = try PersonalityKit.build(target: target)
        try #require(built.status == 0, "\(built.stderr)")
        try PersonalityKit.validateBehind(proxy, built, upstream: TestWorld.plain)
        let image = try parts(built.lastLine, host: proxy.address)
        let hasAPI = personality == "referrers-api"
        if hasAPI {
            #expect(try !PersonalityKit.hasTag(TestWorld.plain, image.repository, "sha256-\(image.digest.dropFirst(7))"))
        } else {
            #expect(try fallbackIndex(image.repository, of: image.digest) == PersonalityKit.attestationTypes)
        }

        // inspect --referrers finds both, whatever the API answered.
        #expect(try PersonalityKit.referrerTypes("\(target):\(image.tag)") == PersonalityKit.attestationTypes)

        // copy out of it carries them; copy into it attaches them.
        let out = CopyKit.newRepository("\(personality)-out")
        let copiedOut = try PersonalityKit.succeed(["copy", "--quiet", "\(target):\(image.tag)", "\(out):1"])
        #expect(try ImageValidation.problem(copiedOut.lastLine) == nil)
        #expect(try fallbackIndex(String(out.dropFirst(TestWorld.plain.count + 1)), of: image.digest) == PersonalityKit.attestationTypes)
        let back = "\(target)-in"
        let copiedIn = try PersonalityKit.succeed(["copy", "--quiet", "\(out):1", "\(back):1"])
        try PersonalityKit.validateBehind(proxy, copiedIn, upstream: TestWorld.plain)
        #expect(try PersonalityKit.referrerTypes("\(back):1") == PersonalityKit.attestationTypes)

        // tags: the image's tag, and the referrers tag unless the API holds them.
        let listed = try PersonalityKit.tags(target)
        #expect(listed.sorted() == ([image.tag] + (hasAPI ? [] : ["sha256-\(image.digest.dropFirst(7))"])).sorted())

        // No credentials, and no request at all, went to a web page a redirect named.
        let stats = try proxy.proxy.stats()
        #expect(stats["web_with_auth", default: 0] + stats["web_without_auth", default: 0] == 0)
        if personality == "subject-must-exist" { #expect(stats["subject_missing", default: 0] == 0) }
    }

    /// ECR refuses a referrer whose subject is an index (405): copying an index that has one
    /// fails in one line that says so, and leaves the destination's tag unwritten.
    @Test func aReferrerOfAnIndexIsRefusedInOneLine() throws {
        let source = CopyKit.newRepository("index-referrer")
        let index = try PersonalityKit.succeed(["copy", "--quiet", "\(TestWorld.plain)/sam/build-python3.12:1.143.0", "\(source):1"])
        let digest = String(index.lastLine.split(separator: "@").last ?? "")
        try Self.attachNote(to: digest, mediaType: "application/vnd.oci.image.index.v1+json", in: source)
        #expect(try PersonalityKit.referrerTypes("\(source):1") == ["application/vnd.example.note"])

        let proxy = try PersonalityKit.proxy(TestWorld.plain, [("index-subject-405", [:])])
        let repository = TestWorld.uniqueRepository("index-405")
        let refused = try PersonalityKit.run(["copy", "--quiet", "\(source):1", "\(proxy.address)/\(repository):1"])
        #expect(refused.status == 1)
        #expect(refused.errorLine.contains("refused with HTTP 405") && refused.errorLine.contains("the registry refuses referrers of an index"),
                "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").filter { $0.hasPrefix("samforge: error:") }.count == 1)
        #expect(try !PersonalityKit.hasTag(TestWorld.plain, repository, "1"))
        // Without the referrers, the index itself goes.
        let plainCopy = try PersonalityKit.succeed(["copy", "--quiet", "--no-referrers", "\(source):1", "\(proxy.address)/\(repository):1"])
        try PersonalityKit.validateBehind(proxy, plainCopy, upstream: TestWorld.plain)
    }

    /// Pushes an artifact (an empty config, one text layer) whose subject is `digest`, and the
    /// referrers tag schema's index for it, straight to the plain registry.
    static func attachNote(to digest: String, mediaType: String, in repository: String) throws {
        let script = """
        import hashlib, json, sys, urllib.request
        base, digest, media_type = sys.argv[1], sys.argv[2], sys.argv[3]
        def put_blob(data):
            d = "sha256:" + hashlib.sha256(data).hexdigest()
            post = urllib.request.urlopen(urllib.request.Request(base + "/blobs/uploads/", method="POST", data=b""))
            location = post.headers["Location"]
            location = location if location.startswith("http") else base.split("/v2/")[0] + location
            sep = "&" if "?" in location else "?"
            urllib.request.urlopen(urllib.request.Request(location + sep + "digest=" + d, method="PUT", data=data,
                                                          headers={"Content-Type": "application/octet-stream"}))
            return d
        def put_manifest(ref, body, kind):
            urllib.request.urlopen(urllib.request.Request(base + "/manifests/" + ref, method="PUT", data=body, headers={"Content-Type": kind}))
        size = int(urllib.request.urlopen(urllib.request.Request(base + "/manifests/" + digest, method="HEAD",
                                                                 headers={"Accept": media_type})).headers["Content-Length"])
        note = b"a note about the index\\n"
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "artifactType": "application/vnd.example.note",
                               "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": put_blob(b"{}"), "size": 2},
                               "layers": [{"mediaType": "text/plain", "digest": put_blob(note), "size": len(note)}],
                               "subject": {"mediaType": media_type, "digest": digest, "size": size}}).encode()
        manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        put_manifest(manifest_digest, manifest, "application/vnd.oci.image.manifest.v1+json")
        index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
                                           "size": len(manifest), "artifactType": "application/vnd.example.note"}]}).encode()
        put_manifest("sha256-" + digest.split(":")[1], index, "application/vnd.oci.image.index.v1+json")
        """
        let host = String(repository.split(separator: "/").first ?? "")
        let name = repository.dropFirst(host.count + 1)
        let result = try Command.run("python3", ["-c", script, "http://\(host)/v2/\(name)", digest, mediaType])
        try #require(result.status == 0, "attaching a note: \(result.stderr)")
    }
}
