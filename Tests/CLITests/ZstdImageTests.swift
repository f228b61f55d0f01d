import Foundation
import Testing
import TestSupport

/// zstd layers end to end: `append` and `build --compression zstd` to a registry, an `oci:`
/// layout and a docker archive, read back by `inspect --files`, `diff` and `--copy-from`,
/// checked by independent readers: skopeo, zstd(1) with python's tarfile, buildah (podman's
/// containers/image) pulling and unpacking it, and the validator (every layer's uncompressed
/// digest against the config's diff_id).
@Suite("zstd layers", .enabled(if: TestWorld.available))
struct ZstdImageTests {
    var plain: String { TestWorld.plain }
    static let zstdType = "application/vnd.oci.image.layer.v1.tar+zstd"

    /// `append --compression zstd` of a file and the plugin's scripts onto the Docker schema2 base.
    func appendZstd(to target: String, compression: String = "zstd", extra: [String] = []) throws -> CommandResult {
        let hello = try AppendTests.script("echo hello from zstd")
        return try Command.samforge(["append", "--compression", compression, "--file", "\(hello):/usr/local/bin/hello:0755",
                                     "--copy-from", "\(plain)/\(BuildHarness.plugin):/opt/harness/scripts:/opt/tools"] + extra
                                    + ["\(plain)/\(BuildHarness.nodeBase)", target], environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
    }

    /// The new layer of a registry image, decompressed by zstd(1) and listed by python's tarfile.
    static func newLayerListing(_ reference: String, repository: String) throws -> (digest: String, entries: [String: BuildHarness.TarEntry]) {
        let manifest = try BuildHarness.rawManifest(reference)
        let layer = try #require(BuildHarness.layerDigests(manifest).last)
        let blob = try BuildHarness.downloadBlob(layer, repository: repository)
        _ = try BuildHarness.shell("zstd -q -t \"$1\" && zstd -q -dc \"$1\" > \"$1.tar\"", [blob])
        return (layer, try BuildHarness.tarListing(blob + ".tar"))
    }

    @Test func appendOnADockerBaseWritesAnOCIImageWithAZstdLayer() throws {
        let target = BuildHarness.newTarget("zstd-append") + ":1"
        let result = try appendZstd(to: target)
        try #require(result.status == 0, "\(result.stderr)")
        // Said in one line: the Docker schema2 base became OCI.
        #expect(result.stderr.split(separator: "\n").filter { $0.contains("manifest: OCI, not the base's Docker schema2") }.count == 1, "\(result.stderr)")

        let manifest = try BuildHarness.rawManifest(target)
        #expect(manifest["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        #expect((manifest["config"] as? [String: Any])?["mediaType"] as? String == "application/vnd.oci.image.config.v1+json")
        let types = CopyFormatTests.layerTypes(manifest)
        let base = try #require(TestWorld.fixtures[BuildHarness.nodeBase]?.layers)
        #expect(types == Array(repeating: "application/vnd.oci.image.layer.v1.tar+gzip", count: base.count) + [Self.zstdType])
        #expect(Array(BuildHarness.layerDigests(manifest).dropLast()) == base, "base layers keep their bytes")

        let repository = String(target.dropLast(2))
        let (_, entries) = try Self.newLayerListing(target, repository: repository)
        #expect(entries["usr/local/bin/hello"]?.mode == 0o755 && entries["usr/local/bin/hello"]?.content == "#!/bin/sh\necho hello from zstd\n")
        #expect(entries["opt/tools/sam-plugin.sh"]?.content?.contains("sam-plugin.sh v2") == true)
        #expect(entries.values.allSatisfy { $0.uid == 0 && $0.mtime == Int(BuildHarness.epoch) })

        // podman's library (containers/image, through buildah) pulls and unpacks it.
        let root = try TemporaryDirectory().path
        let buildah = "buildah --storage-driver vfs --root \"$1/root\" --runroot \"$1/run\""
        let hello = try BuildHarness.shell("""
            \(buildah) pull -q --tls-verify=false "docker://$2" >/dev/null && c=$(\(buildah) from -q --pull=never "$2") \
              && m=$(\(buildah) mount "$c") && cat "$m/usr/local/bin/hello" "$m/opt/tools/sam-plugin.sh" | head -c 200
            """, [root, target])
        #expect(hello.contains("hello from zstd") && hello.contains("sam-plugin.sh"), "\(hello)")
    }

    /// The same inputs give the same digest, as with gzip: libzstd's output does not depend on
    /// the machine's threads.
    @Test func sameInputsSameDigest() throws {
        let first = try appendZstd(to: BuildHarness.newTarget("zstd-same") + ":1", compression: "zstd:7")
        let second = try appendZstd(to: BuildHarness.newTarget("zstd-same") + ":1", compression: "zstd:7")
        try #require(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        #expect(first.lastLine.split(separator: "@").last == second.lastLine.split(separator: "@").last)
    }

    @Test func buildOnTheOCIBaseWithZstd() throws {
        let target = BuildHarness.newTarget("zstd-build")
        let result = try BuildHarness.build(base: BuildHarness.pythonBase, target: target, extra: ["--compression", "zstd:19"])
        try #require(result.status == 0, "\(result.stderr)")
        let reference = try BuildHarness.taggedReference(result)
        let manifest = try BuildHarness.rawManifest(reference)
        let base = try #require(TestWorld.fixtures[BuildHarness.pythonBase]?.layers)
        #expect(Array(CopyFormatTests.layerTypes(manifest).suffix(2)) == [Self.zstdType, Self.zstdType])
        #expect(Array(BuildHarness.layerDigests(manifest).prefix(base.count)) == base)
        #expect(!result.stderr.contains("manifest: OCI, not"), "an OCI base needs no note")
        let (_, entries) = try Self.newLayerListing(reference, repository: target)
        #expect(entries["usr/local/bin/docker"]?.mode == 0o755)
        // inspect reads the zstd layers too (the tools layer, as tar lists it).
        let files = try Command.samforge(["inspect", "--files", String(base.count + 1), reference])
        try #require(files.status == 0, "\(files.stderr)")
        #expect(files.stdout.contains("/usr/local/bin/docker"))
    }

    /// `inspect --files all`, `diff --files` and `--copy-from` read zstd layers like gzip ones.
    @Test func zstdImagesAreReadLikeAnyOther() throws {
        let target = BuildHarness.newTarget("zstd-read") + ":1"
        try #require(try appendZstd(to: target).status == 0)
        let merged = try Command.samforge(["inspect", "--files", "all", target])
        try #require(merged.status == 0, "\(merged.stderr)")
        #expect(CopyKit.collapsed(merged.stdout).contains { $0.hasSuffix("/usr/local/bin/hello") && $0.hasPrefix("3 -rwxr-xr-x 0/0") }, "\(merged.stdout.suffix(500))")

        let diff = try Command.samforge(["diff", "--files", "\(plain)/\(BuildHarness.nodeBase)", target])
        try #require(diff.status == 0, "\(diff.stderr)")
        #expect(diff.stdout.contains("/usr/local/bin/hello") && diff.stdout.contains("/opt/tools/sam-plugin.sh"))
        #expect(diff.stdout.contains("0 only in a, 0 changed"), "\(diff.stdout.suffix(300))")

        // COPY --from a zstd image, into a gzip layer.
        let again = BuildHarness.newTarget("zstd-from") + ":1"
        let copied = try Command.samforge(["append", "--copy-from", "\(target):/opt/tools:/opt/again", "--copy-from", "\(target):/usr/local/bin/hello",
                                           "\(plain)/\(BuildHarness.nodeBase)", again])
        try #require(copied.status == 0, "\(copied.stderr)")
        let manifest = try BuildHarness.rawManifest(again)
        #expect(CopyFormatTests.layerTypes(manifest).last == "application/vnd.docker.image.rootfs.diff.tar.gzip")
        let layer = try BuildHarness.downloadBlob(try #require(BuildHarness.layerDigests(manifest).last), repository: String(again.dropLast(2)))
        let entries = try BuildHarness.tarListing(layer)
        #expect(entries["opt/again/sam-plugin.sh"]?.content?.contains("sam-plugin.sh v2") == true)
        #expect(entries["usr/local/bin/hello"]?.content == "#!/bin/sh\necho hello from zstd\n")
    }

    /// An `oci:` layout and a docker archive hold the zstd layer as it is (which `docker load`
    /// 23+ reads); skopeo reads both, samforge lists both.
    @Test(arguments: ["oci", "docker-archive"]) func localDestinationsKeepTheZstdLayer(_ kind: String) throws {
        let directory = try TemporaryDirectory().path
        let location = kind == "oci" ? "oci:\(directory)/layout:app" : "docker-archive:\(directory)/app.tar:test/app:1"
        let result = try appendZstd(to: location)
        try #require(result.status == 0, "\(result.stderr)")
        let inspected = try CopyKit.skopeoInspect(location)
        let layers = try #require(inspected["Layers"] as? [String])
        let listing = try Command.samforge(["inspect", "--files", "all", location])
        try #require(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stdout.contains("/usr/local/bin/hello"))
        if kind == "docker-archive" {
            let archived = try CopyCompressionTests.zstdLayersInArchive(directory + "/app.tar")
            #expect(archived.zstd == 1 && archived.layers == layers.count)
            // skopeo names the layers of an archive by diff_id: the config's.
            let config = try CopyKit.json(try Command.run("skopeo", ["inspect", "--config", location]).stdout)
            #expect((config["rootfs"] as? [String: Any])?["diff_ids"] as? [String] == layers)
        } else {
            let raw = try CopyKit.skopeoInspect(location, raw: true)
            #expect(CopyFormatTests.layerTypes(raw).last == Self.zstdType)
        }
    }

    /// `--format v2s2` of an image that has zstd layers: Docker schema2 cannot name them. One
    /// line saying what to do, exit 2 (the flags are what to change), nothing written; copy
    /// with `--compression gzip`, as it says, works.
    @Test(arguments: ["copy", "append"])
    func zstdLayersToV2s2SayToRecompress(_ command: String) throws {
        let directory = try TemporaryDirectory().path
        let zstd = "oci:\(directory)/zstd:1"
        try CopyKit.succeed(["copy", "-q", "--compression", "zstd", "--cache-dir", directory + "/cache", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", zstd])
        let extra = command == "append" ? ["--env", "A=1"] : []
        let refused = try Command.samforge([command, "--format", "v2s2", "--cache-dir", directory + "/cache"] + extra + [zstd, "oci:\(directory)/v2s2:1"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.errorLine.contains("cannot convert to Docker schema2 (v2s2)")
                && refused.errorLine.hasSuffix("recompress the layers to gzip (samforge copy --compression gzip) or keep --format oci"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/v2s2/index.json"))

        let target = CopyKit.newRepository("zstd-to-v2s2") + ":1"
        try CopyKit.succeed(["copy", "--format", "v2s2", "--compression", "gzip", "--cache-dir", directory + "/cache", zstd, target])
        let raw = try BuildHarness.rawManifest(target)
        #expect(raw["mediaType"] as? String == "application/vnd.docker.distribution.manifest.v2+json")
        #expect(CopyFormatTests.layerTypes(raw).allSatisfy { $0 == "application/vnd.docker.image.rootfs.diff.tar.gzip" })
        try CopyKit.succeed([command, "--format", "v2s2", "--cache-dir", directory + "/cache"] + extra + [target, target + "-again"])
    }

    /// Every value a user can give wrong is one line, exit 2, before any traffic (the registry
    /// at localhost:1 would refuse a connection).
    @Test(arguments: [
        (["append", "--compression", "zstd:20"], "--compression zstd:20: zstd levels are 1-19"),
        (["append", "--compression", "gzip:0"], "--compression gzip:0: gzip levels are 1-9"),
        (["build", "--compression", "lz4"], "--compression lz4: expected gzip or zstd, optionally with :LEVEL"),
        (["copy", "--compression", "zstd:x"], "--compression zstd:x: the level must be a number"),
        (["copy", "--compression", "zstd", "--format", "v2s2"],
         "--compression zstd cannot go with --format v2s2: Docker schema2 has no zstd layer type (use --format oci, or leave --format out)"),
    ] as [([String], String)]) func badCompressionIsAUsageError(_ arguments: [String], _ message: String) throws {
        var full = arguments
        switch arguments[0] {
        case "build": full += ["--sam-base-image", "localhost:1/sam/build-python3.12:1.143.0", "--plugin-image", "localhost:1/p:1",
                               "--version", "1", "--target-repo", "localhost:1/t"]
        default: full += ["localhost:1/a:1", "localhost:1/b:1"]
        }
        let result = try Command.samforge(full)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.errorLine == "samforge: error: " + message, "\(result.stderr)")
    }
}
