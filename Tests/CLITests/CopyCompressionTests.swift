import Foundation
import Testing
import TestSupport

/// `copy --compression zstd|gzip` (skopeo's `--dest-compress-format`): every layer in another
/// algorithm is recompressed once, diff_ids and configs unchanged, manifests rewritten (a Docker
/// schema2 image becomes OCI for zstd), back and forth, checked with skopeo, umoci, buildah
/// and the validator.
@Suite("copy --compression", .enabled(if: TestWorld.available))
struct CopyCompressionTests {
    var plain: String { TestWorld.plain }

    /// Each child of an index: (platform, config digest, layer media types, layer digests).
    static func children(_ reference: String) throws -> [(platform: String, config: String, types: [String], layers: [String])] {
        let index = try BuildHarness.rawManifest(reference)
        let repository = String(reference[..<(reference.lastIndex(of: ":") ?? reference.endIndex)])
        return try ((index["manifests"] as? [[String: Any]]) ?? []).map { entry in
            let platform = entry["platform"] as? [String: Any]
            let child = try BuildHarness.rawManifest("\(repository)@\(entry["digest"] as? String ?? "")")
            return ("\(platform?["os"] as? String ?? "")/\(platform?["architecture"] as? String ?? "")",
                    (child["config"] as? [String: Any])?["digest"] as? String ?? "", CopyFormatTests.layerTypes(child), BuildHarness.layerDigests(child))
        }
    }

    @Test func aDockerListToZstdAndBackToGzip() throws {
        let cache = try TemporaryDirectory().path
        let source = "\(plain)/\(BuildHarness.nodeList)"
        let zstd = CopyKit.newRepository("recompress-zstd") + ":1"
        let result = try CopyKit.succeed(["copy", "--compression", "zstd", "--cache-dir", cache, source, zstd])
        #expect(result.stderr.contains("manifest: OCI, not Docker schema2, which has no media type for zstd layers"))
        #expect(try BuildHarness.rawManifest(zstd)["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        let before = try Self.children(source), after = try Self.children(zstd)
        #expect(before.map(\.platform) == after.map(\.platform) && after.count == 2)
        for (old, new) in zip(before, after) {
            #expect(new.config == old.config, "the config keeps its bytes: diff_ids are unchanged")
            #expect(new.types.allSatisfy { $0 == ZstdImageTests.zstdType } && new.layers.count == old.layers.count)
            #expect(Set(new.layers).isDisjoint(with: old.layers))
        }
        // Again: nothing is recompressed (the cache remembers) and no blob moves.
        let again = try CopyKit.succeed(["copy", "--compression", "zstd", "--cache-dir", cache, source, zstd])
        #expect(again.lastLine == result.lastLine)
        #expect(again.stderr.split(separator: "\n").filter { $0.hasPrefix("layer ") }.allSatisfy { $0.hasSuffix(", cached)") })
        #expect(try CopyKit.summary(again).copied == 0)

        // Back to gzip: the same diff_ids, OCI gzip layers (the image stays OCI), umoci unpacks.
        let layout = try TemporaryDirectory().path + "/layout"
        try CopyKit.succeed(["copy", "--compression", "gzip", "--platform", "linux/amd64", "--cache-dir", cache, zstd, "oci:\(layout):back"])
        let raw = try CopyKit.skopeoInspect("oci:\(layout):back", raw: true)
        #expect(CopyFormatTests.layerTypes(raw).allSatisfy { $0 == "application/vnd.oci.image.layer.v1.tar+gzip" })
        #expect((raw["config"] as? [String: Any])?["digest"] as? String == before[0].config)
        let bundle = layout + "-bundle"
        _ = try CopyKit.shell("umoci unpack --rootless --image \"$1\" \"$2\"", ["\(layout):back", bundle])
        #expect(try String(contentsOfFile: bundle + "/rootfs/opt/stale/c.txt", encoding: .utf8) == "fresh c\n")
    }

    /// A manifest that lists one layer twice (old Docker images repeat the empty layer): the
    /// layer is fetched and recompressed once, both entries name the one new blob. Gzip
    /// recompresses several layers at once, where the two entries would otherwise race.
    @Test func aLayerListedTwiceIsRecompressedOnce() throws {
        let directory = try TemporaryDirectory().path
        let tar = try HostileImage.tar([("etc/twice.txt", "listed twice\n")])
        let layer = HostileImage.Layer(bytes: try HostileImage.gzip(tar), uncompressed: tar)
        let built = try HostileImage.layout([layer, layer])
        #expect(Set(built.layerDigests).count == 1 && built.layerDigests.count == 2)
        let zstd = CopyKit.newRepository("twice") + ":zstd"
        let first = try CopyKit.succeed(["copy", "--compression", "zstd", "--cache-dir", directory + "/a", built.location, zstd])
        #expect(first.stderr.split(separator: "\n").filter { $0.hasPrefix("layer ") }.count == 1, "\(first.stderr)")
        #expect(!first.stderr.contains("referrers:"), "an image without referrers has none to leave behind: \(first.stderr)")
        let zstdLayers = BuildHarness.layerDigests(try BuildHarness.rawManifest(zstd))
        #expect(zstdLayers.count == 2 && Set(zstdLayers).count == 1)

        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        let repository = String(zstd.dropFirst(plain.count + 1).dropLast(5))
        let gzip = CopyKit.newRepository("twice-back") + ":gzip"
        try CopyKit.succeed(["copy", "--compression", "gzip", "--cache-dir", directory + "/b", "\(proxy.address)/\(repository):zstd", gzip])
        let gets = try proxy.proxy.requests(matching: "/blobs/\(zstdLayers[0])").filter { $0.hasPrefix("GET") }
        #expect(gets.count == 1, "\(gets)")
        let back = try BuildHarness.rawManifest(gzip)
        #expect(BuildHarness.layerDigests(back).count == 2 && Set(BuildHarness.layerDigests(back)).count == 1)
        #expect(try ImageValidation.problem(gzip) == nil)
    }

    /// The one-platform destinations recompress only what they get: `--platform`, and a docker
    /// archive (linux/amd64 of an index).
    @Test func onlyTheChosenPlatformIsRecompressed() throws {
        let directory = try TemporaryDirectory().path
        let result = try CopyKit.succeed(["copy", "--compression", "zstd", "--cache-dir", directory + "/cache",
                                          "\(plain)/\(BuildHarness.nodeList)", "docker-archive:\(directory)/node.tar:node:1"])
        let amd64 = try #require(TestWorld.fixtures[BuildHarness.nodeBase]?.layers)
        let recompressed = result.stderr.split(separator: "\n").filter { $0.hasPrefix("layer ") }
        #expect(recompressed.count == amd64.count, "\(recompressed)")
        #expect(recompressed.allSatisfy { line in amd64.contains { line.hasPrefix("layer \($0.dropFirst(7).prefix(12))") } })
        let archived = try Self.zstdLayersInArchive(directory + "/node.tar")
        #expect(archived.zstd == amd64.count && archived.layers == amd64.count)
    }

    /// podman's library pulls the recompressed image and unpacks it.
    @Test func buildahReadsARecompressedImage() throws {
        let target = CopyKit.newRepository("recompress-buildah") + ":1"
        try CopyKit.succeed(["copy", "--compression", "zstd:12", "--cache-dir", try TemporaryDirectory().path,
                             "\(plain)/\(BuildHarness.pythonBase)", target])
        let root = try TemporaryDirectory().path
        let buildah = "buildah --storage-driver vfs --root \"$1/root\" --runroot \"$1/run\""
        let listing = try BuildHarness.shell("""
            \(buildah) pull -q --tls-verify=false "docker://$2" >/dev/null && c=$(\(buildah) from -q --pull=never "$2") \
              && m=$(\(buildah) mount "$c") && cat "$m/etc/os-release"
            """, [root, target])
        #expect(listing.contains("Amazon Linux"), "\(listing)")
    }

    /// Nothing to recompress: the same bytes and digest, and the referrers go along. With
    /// something recompressed the referrers stay behind, said in one line.
    @Test func anImageAlreadyInTheAlgorithmKeepsItsDigest() throws {
        let fixture = try CopyKit.fixture(BuildHarness.pythonBase)
        let target = CopyKit.newRepository("recompress-same") + ":1"
        let result = try CopyKit.succeed(["copy", "--compression", "gzip:9", "--cache-dir", try TemporaryDirectory().path,
                                          "\(plain)/\(BuildHarness.pythonBase)", target])
        #expect(result.lastLine == "\(target)@\(fixture.digest)")
        #expect(!result.stderr.contains(" not copied"))
        // The fixture has no referrers: nothing is said of them.
        let bare = try CopyKit.succeed(["copy", "--compression", "zstd", "--cache-dir", try TemporaryDirectory().path,
                                        "\(plain)/\(BuildHarness.pythonBase)", CopyKit.newRepository("recompress-bare") + ":1"])
        #expect(!bare.stderr.contains("referrers:"), "\(bare.stderr)")
        // An appended image has two (its SBOM and provenance): both stay behind, said once.
        let appended = CopyKit.newRepository("recompress-refs") + ":1"
        try CopyKit.succeed(["append", "--env", "A=1", "\(plain)/\(BuildHarness.pythonBase)", appended])
        let rewritten = try CopyKit.succeed(["copy", "--compression", "zstd", "--cache-dir", try TemporaryDirectory().path,
                                             appended, CopyKit.newRepository("recompress-refs-copy") + ":1"])
        let note = rewritten.stderr.split(separator: "\n").first { $0.hasPrefix("referrers: ") && $0.hasSuffix(" not copied (--compression rewrote the manifests they refer to)") }
        #expect(note.flatMap { Int($0.split(separator: " ")[1]) } == 2, "\(rewritten.stderr)")
    }
}

extension CopyCompressionTests {
    /// How many of the layers a docker archive's manifest.json names are zstd frames (by their
    /// magic bytes), read with python's tarfile.
    static func zstdLayersInArchive(_ path: String) throws -> (zstd: Int, layers: Int) {
        let counts = try BuildHarness.shell("""
            python3 -c '
            import json, sys, tarfile
            with tarfile.open(sys.argv[1]) as t:
                layers = json.load(t.extractfile("manifest.json"))[0]["Layers"]
                print(sum(t.extractfile(l).read(4) == b"\\x28\\xb5\\x2f\\xfd" for l in layers), len(layers))
            ' "$1"
            """, [path]).split(separator: " ").compactMap { Int($0) }
        try #require(counts.count == 2)
        return (counts[0], counts[1])
    }
}
