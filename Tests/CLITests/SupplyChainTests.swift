import Foundation
import Testing
import TestSupport

/// Every build attaches an SPDX SBOM and an in-toto SLSA provenance statement as OCI 1.1
/// referrers (distribution 2.8 has no Referrers API: the `sha256-HEX` tag schema), checked
/// with pyspdxtools, skopeo and Python's tarfile; copy carries them; a lock file pins inputs.
@Suite("Supply chain: SBOM, provenance, referrers, lock files", .enabled(if: TestWorld.available))
struct SupplyChainTests {
    var plain: String { TestWorld.plain }

    func build(target: String, extra: [String] = [], plugin: String? = nil) throws -> CommandResult {
        var arguments = try BuildHarness.arguments(target: target, extra: extra)
        if let plugin, let index = arguments.firstIndex(of: "--plugin-image") { arguments[index + 1] = plugin }
        let result = try Command.samforge(arguments, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch, "DOCKER_PASSWORD": "not-a-secret-to-leak"])
        try #require(result.status == 0, "\(result.stderr)")
        return result
    }

    static func digest(_ line: String) -> String { String(line.split(separator: "@").last ?? "") }

    /// The referrers tag schema's index for `digest` in `repository`, as skopeo reads it.
    func referrers(_ repository: String, of digest: String) throws -> [[String: Any]] {
        let index = try BuildHarness.rawManifest("\(repository):sha256-\(digest.dropFirst("sha256:".count))")
        return try #require(index["manifests"] as? [[String: Any]])
    }

    /// The one document layer of the referrer `digest`, downloaded.
    func document(_ repository: String, referrer digest: String) throws -> (manifest: [String: Any], path: String) {
        let manifest = try BuildHarness.rawManifest("\(repository)@\(digest)")
        let layer = try #require((manifest["layers"] as? [[String: Any]])?.first?["digest"] as? String)
        return (manifest, try BuildHarness.downloadBlob(layer, repository: repository))
    }

    @Test func aBuildAttachesAValidSBOMAndAProvenanceStatement() throws {
        let target = BuildHarness.newTarget("sbom")
        let result = try build(target: target)
        let image = Self.digest(result.lastLine)
        let entries = try referrers(target, of: image)
        let types = entries.compactMap { $0["artifactType"] as? String }
        #expect(Set(types) == ["application/spdx+json", "application/vnd.in-toto+json"])

        for entry in entries {
            let (manifest, path) = try document(target, referrer: try #require(entry["digest"] as? String))
            #expect(manifest["artifactType"] as? String == entry["artifactType"] as? String)
            #expect((manifest["subject"] as? [String: Any])?["digest"] as? String == image)
            #expect((manifest["config"] as? [String: Any])?["mediaType"] as? String == "application/vnd.oci.empty.v1+json")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(!text.contains("not-a-secret-to-leak"))
            if entry["artifactType"] as? String == "application/spdx+json" {
                try checkSBOM(path, image: target + "@" + image, target: target)
            } else {
                try checkProvenance(try CopyKit.json(text), image: image)
            }
        }
    }

    /// pyspdxtools validates it; its files are exactly the regular files of the two new layers
    /// as Python's tarfile reads them, with the same SHA-256.
    func checkSBOM(_ path: String, image: String, target: String) throws {
        // pyspdxtools tells the format by the file's extension.
        let named = try TemporaryDirectory().path + "/sbom.spdx.json"
        try FileManager.default.copyItem(atPath: path, toPath: named)
        let validation = try Command.run("pyspdxtools", ["-i", named])
        #expect(validation.status == 0, "pyspdxtools: \(validation.stdout)\(validation.stderr)")
        let sbom = try CopyKit.json(try String(contentsOfFile: path, encoding: .utf8))
        var listed: [String: String] = [:]
        for file in sbom["files"] as? [[String: Any]] ?? [] {
            let sha256 = (file["checksums"] as? [[String: Any]])?.first { $0["algorithm"] as? String == "SHA256" }?["checksumValue"] as? String
            listed[String((file["fileName"] as? String ?? "").dropFirst(2))] = sha256
        }
        let layers = BuildHarness.layerDigests(try BuildHarness.rawManifest(image)).suffix(2)
        let script = """
        import hashlib, json, sys, tarfile
        out = {}
        for path in sys.argv[1:]:
            with tarfile.open(path) as t:
                for m in t.getmembers():
                    if m.isfile() or m.islnk():
                        out[m.name] = hashlib.sha256(t.extractfile(m).read()).hexdigest()
        print(json.dumps(out))
        """
        let paths = try layers.map { try BuildHarness.downloadBlob($0, repository: target) }
        let listing = try Command.run("python3", ["-c", script] + paths)
        try #require(listing.status == 0, "\(listing.stderr)")
        let inLayers = try JSONDecoder().decode([String: String].self, from: Data(listing.stdout.utf8))
        #expect(listed == inLayers)
        #expect(listed["opt/harness/bin/harness-sam-plugin"] != nil && listed["usr/local/bin/docker"] != nil)
        let purls = (sbom["packages"] as? [[String: Any]] ?? []).flatMap { ($0["externalRefs"] as? [[String: Any]] ?? []).compactMap { $0["referenceLocator"] as? String } }
        #expect(purls.contains { $0.hasPrefix("pkg:oci/build-nodejs18.x@sha256%3A") && $0.contains("repository_url=") })
        #expect(purls.contains { $0.hasPrefix("pkg:generic/go-template?checksum=sha256%3A") })
    }

    /// in-toto Statement v1 with SLSA Provenance v1: the subject is the image, every input is
    /// there with the digest it resolved to.
    func checkProvenance(_ statement: [String: Any], image: String) throws {
        #expect(statement["_type"] as? String == "https://in-toto.io/Statement/v1")
        #expect(statement["predicateType"] as? String == "https://slsa.dev/provenance/v1")
        let subject = try #require((statement["subject"] as? [[String: Any]])?.first)
        #expect((subject["digest"] as? [String: String])?["sha256"] == String(image.dropFirst("sha256:".count)))
        let predicate = try #require(statement["predicate"] as? [String: Any])
        let definition = try #require(predicate["buildDefinition"] as? [String: Any])
        #expect((definition["buildType"] as? String)?.hasSuffix("/buildtypes/sam-plugin/v1") == true)
        let dependencies = try #require(definition["resolvedDependencies"] as? [[String: Any]])
        let byName = Dictionary(dependencies.map { ($0["name"] as? String ?? "", ($0["digest"] as? [String: String])?["sha256"] ?? "") }, uniquingKeysWith: { a, _ in a })
        let base = try #require(TestWorld.fixtures[BuildHarness.nodeBase]?.digest)
        #expect(byName["base image"] == String(base.dropFirst("sha256:".count)))
        #expect(byName["plugin image"]?.count == 64 && byName["docker CLI image"]?.count == 64 && byName["go-template"]?.count == 64)
        #expect((definition["externalParameters"] as? [String: String])?["version"] == "1.1.2")
        #expect(((predicate["runDetails"] as? [String: Any])?["builder"] as? [String: Any])?["id"] as? String != nil)
    }

    @Test func theSameInputsGiveTheSameDocuments() throws {
        let target = BuildHarness.newTarget("sbom-repro")
        let first = try build(target: target)
        let second = try build(target: target)
        let digest = Self.digest(first.lastLine)
        #expect(Self.digest(second.lastLine) == digest)
        let entries = try referrers(target, of: digest)
        #expect(entries.count == 2, "read-modify-write keeps one entry per artifact: \(entries)")
    }

    @Test func noAttestationsWritesNone() throws {
        let target = BuildHarness.newTarget("no-sbom")
        _ = try build(target: target, extra: ["--no-attestations"])
        let tags = try CopyKit.json(try BuildHarness.skopeo(["list-tags", "docker://" + target]).stdout)["Tags"] as? [String]
        #expect(tags?.allSatisfy { !$0.hasPrefix("sha256-") } == true, "\(tags ?? [])")
    }

    @Test func layoutsGetArtifactEntriesAndArchivesSaySo() throws {
        let directory = try TemporaryDirectory().path
        let layout = try build(target: "oci:\(directory)/layout")
        let index = try CopyKit.json(try String(contentsOfFile: directory + "/layout/index.json", encoding: .utf8))
        let artifacts = (index["manifests"] as? [[String: Any]] ?? []).compactMap { $0["artifactType"] as? String }
        #expect(Set(artifacts) == ["application/spdx+json", "application/vnd.in-toto+json"])
        let tree = try CopyKit.succeed(["inspect", "--referrers", "oci:\(directory)/layout:1.1.2-nodejs18.x-1.143.0-linux-amd64"])
        #expect(tree.stdout.contains("application/spdx+json") && tree.stdout.contains(Self.digest(layout.lastLine)))
        let archive = try build(target: "docker-archive:\(directory)/image.tar")
        #expect(archive.stderr.contains("a docker archive has no place for the SBOM and provenance"))
    }

    @Test func copyCarriesReferrersUnlessAskedNotTo() throws {
        let source = BuildHarness.newTarget("sbom-src")
        let image = Self.digest(try build(target: source).lastLine)
        let tag = "1.1.2-nodejs18.x-1.143.0-linux-amd64"
        let copied = CopyKit.newRepository("sbom-copy")
        let copy = try CopyKit.succeed(["copy", "\(source):\(tag)", "\(copied):1"])
        #expect(copy.stderr.contains("referrers: 2 copied"))
        #expect(Set(try referrers(copied, of: image).compactMap { $0["digest"] as? String })
                == Set(try referrers(source, of: image).compactMap { $0["digest"] as? String }))
        let bare = CopyKit.newRepository("sbom-bare")
        try CopyKit.succeed(["copy", "--no-referrers", "\(source):\(tag)", "\(bare):1"])
        #expect(try BuildHarness.skopeo(["inspect", "--raw", "docker://\(bare):sha256-\(image.dropFirst(7))"]).status != 0)
    }

    @Test func appendAttestsEveryPlatform() throws {
        let target = BuildHarness.newTarget("sbom-all") + ":1"
        let file = try TemporaryDirectory().path + "/f"
        try "f\n".write(toFile: file, atomically: true, encoding: .utf8)
        try CopyKit.succeed(["append", "-q", "--platform", "all", "--file", "\(file):/f", "\(plain)/\(BuildHarness.nodeList)", target])
        let repository = String(target.dropLast(2))
        let index = try BuildHarness.rawManifest(target)
        for child in index["manifests"] as? [[String: Any]] ?? [] {
            let digest = try #require(child["digest"] as? String)
            #expect(try referrers(repository, of: digest).count == 2, "\(digest)")
        }
    }

    /// A lock written, the plugin tag moved to another image: the locked rebuild has the old
    /// digest (one warning line); a download whose SHA-256 differs from the lock is an error.
    @Test func aLockPinsEveryInput() throws {
        let directory = try TemporaryDirectory().path
        let plugin = CopyKit.newRepository("lock-plugin") + ":1"
        try CopyKit.succeed(["copy", "-q", "\(plain)/\(BuildHarness.plugin)", plugin])
        let target = BuildHarness.newTarget("locked")
        let lock = ["--lock", directory + "/samforge.lock"]
        let first = try build(target: target, extra: lock, plugin: plugin)
        try CopyKit.succeed(["append", "-q", "--label", "moved=yes", plugin, plugin])
        let locked = try build(target: target, extra: lock, plugin: plugin)
        #expect(Self.digest(locked.lastLine) == Self.digest(first.lastLine))
        // The plugin image is used, not built on: the warning says so for every kind of input.
        #expect(locked.stderr.contains("\(plugin) now names sha256:"), "\(locked.stderr)")
        #expect(locked.stderr.contains("; using the locked sha256:") && !locked.stderr.contains("building on the locked"), "\(locked.stderr)")
        let updated = try build(target: target, extra: lock + ["--update-lock"], plugin: plugin)
        #expect(Self.digest(updated.lastLine) != Self.digest(first.lastLine))

        var file = try String(contentsOfFile: directory + "/samforge.lock", encoding: .utf8)
        let pinned = try #require(file.firstMatch(of: /"sha256" : "(sha256:[0-9a-f]{64})"/)?.1)
        file = file.replacingOccurrences(of: String(pinned), with: "sha256:" + String(repeating: "0", count: 64))
        try file.write(toFile: directory + "/samforge.lock", atomically: true, encoding: .utf8)
        let tampered = try Command.samforge(try BuildHarness.arguments(target: target, extra: lock), environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        #expect(tampered.status == 1)
        #expect(tampered.errorLine.contains("the lock says sha256:000"), "\(tampered.stderr)")
    }

    /// `scratch` is pinned like any base: the locked re-run takes it at its pin and gives the
    /// same digest (it used to fail: "scratch: no manifest sha256:…").
    @Test func aLockedAppendOnScratchRunsAgain() throws {
        let directory = try TemporaryDirectory().path
        let file = directory + "/hello"
        try "hello\n".write(toFile: file, atomically: true, encoding: .utf8)
        let arguments = ["append", "-q", "--lock", directory + "/app.lock", "--cache-dir", directory + "/cache",
                         "--file", file + ":/hello", "scratch", "oci:\(directory)/layout:1"]
        let first = try CopyKit.succeed(arguments)
        #expect(try String(contentsOfFile: directory + "/app.lock", encoding: .utf8).contains("\"scratch\""))
        let again = try CopyKit.samforge(arguments)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout == first.stdout)
    }
}
