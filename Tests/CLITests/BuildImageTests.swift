import Foundation
import Testing
import TestSupport

/// A build on the Docker schema2 base, checked from the outside: skopeo's view of config and
/// manifest, every new blob re-hashed, the new layers listed by python's tarfile.
@Suite("samforge build: the image pushed", .enabled(if: TestWorld.available))
struct BuildImageTests {
    static let newEnv = ["HARNESS_GO_PLUGIN_VERSION=v0.4.5", "DOCKER_VERSION=26.0.1", "INSTALL_GO_TEMPLATE_BINARY=true", "UNIFIED_PIPELINE=false"]

    @Test func dockerSchema2Base() throws {
        let target = BuildHarness.newTarget("build-image")
        let result = try BuildHarness.build(target: target)
        try #require(result.status == 0, "\(result.stderr)")
        let tag = "1.1.2-nodejs18.x-1.143.0-linux-amd64"
        let reference = "\(target):\(tag)"

        // Last stdout line: TARGET_REPO:TAG@sha256:DIGEST, and the registry agrees on the digest.
        let inspect = try BuildHarness.inspect(reference)
        let digest = try #require(inspect["Digest"] as? String)
        #expect(result.lastLine == "\(reference)@\(digest)")
        #expect(result.stderr.contains("samforge: warning: ") && result.stderr.contains("not an official image"))

        // Platform, Env (base entries first, in order, then the four new ones), Entrypoint, no Cmd.
        #expect(inspect["Architecture"] as? String == "amd64")
        #expect(inspect["Os"] as? String == "linux")
        let config = try BuildHarness.config(reference)
        let container = try #require(config["config"] as? [String: Any])
        let env = try #require(container["Env"] as? [String])
        #expect(env.prefix(4).map { $0.split(separator: "=").first.map(String.init) ?? "" } == ["PATH", "LANG", "TZ", "LD_LIBRARY_PATH"])
        #expect(Array(env.suffix(4)) == Self.newEnv)
        #expect(container["Entrypoint"] as? [String] == ["/opt/harness/scripts/sam-plugin.sh"])
        #expect(container["Cmd"] == nil)
        #expect(container["WorkingDir"] as? String == "/var/task")
        #expect(config["created"] as? String == "2023-11-14T22:13:20Z")

        // Base layers byte for byte (same digests, same order), then two new layers.
        let fixture = try #require(TestWorld.fixtures[BuildHarness.nodeBase])
        let baseLayers = try #require(fixture.layers)
        let manifest = try BuildHarness.rawManifest(reference)
        #expect(manifest["mediaType"] as? String == "application/vnd.docker.distribution.manifest.v2+json")
        let layers = BuildHarness.layerDigests(manifest)
        try #require(layers.count == baseLayers.count + 2)
        #expect(Array(layers.prefix(baseLayers.count)) == baseLayers)
        let types = ((manifest["layers"] as? [[String: Any]]) ?? []).compactMap { $0["mediaType"] as? String }
        #expect(Set(types) == ["application/vnd.docker.image.rootfs.diff.tar.gzip"])
        #expect((manifest["config"] as? [String: Any])?["mediaType"] as? String == "application/vnd.docker.container.image.v1+json")

        // Each new layer: digest and diff_id recomputed from the downloaded blob.
        let diffIDs = try #require((config["rootfs"] as? [String: Any])?["diff_ids"] as? [String])
        #expect(Array(diffIDs.prefix(baseLayers.count)) == fixture.diff_ids)
        let history = try #require(config["history"] as? [[String: Any]])
        #expect(history.count == (fixture.layers?.count ?? 0) + 2)
        var listings: [[String: BuildHarness.TarEntry]] = []
        for (offset, digest) in layers.enumerated().dropFirst(baseLayers.count) {
            let blob = try BuildHarness.downloadBlob(digest, repository: target)
            #expect(try BuildHarness.sha256(blob) == digest)
            #expect(try BuildHarness.uncompressedSHA256(blob) == diffIDs[offset])
            listings.append(try BuildHarness.tarListing(blob))
        }
        try checkPluginLayer(listings[0])
        try checkToolsLayer(listings[1], dockerLine: "build fixture-amd64")
    }

    func checkPluginLayer(_ entries: [String: BuildHarness.TarEntry]) throws {
        for directory in ["opt/harness/bin", "opt/harness/scripts", "opt/harness/client-tools"] {
            #expect(entries[directory]?.type == "dir" && entries[directory]?.mode == 0o777, "\(directory)")
        }
        #expect(entries["opt"]?.mode == 0o755 && entries["opt/harness"]?.mode == 0o755)
        let binary = try #require(entries["opt/harness/bin/harness-sam-plugin"])
        #expect(binary.type == "file" && binary.mode == 0o755)
        let script = try #require(entries["opt/harness/scripts/sam-plugin.sh"])
        #expect(script.type == "file" && script.mode == 0o755)
        #expect(script.content?.contains("sam-plugin.sh v2") == true)
        #expect(entries["opt/harness/scripts/old.sh"] == nil)
        #expect(entries["opt/harness/scripts/current.sh"]?.type == "symlink")
        #expect(entries["opt/harness/scripts/current.sh"]?.linkname == "sam-plugin.sh")
        #expect(entries["opt/harness/scripts/lib/util.sh"]?.mode == 0o600)
        // The hard-linked pair stays one file: one name has the content, the other links to it.
        let pair = [entries["opt/harness/scripts/common.sh"], entries["opt/harness/scripts/common-link.sh"]].compactMap { $0 }
        #expect(pair.count == 2)
        #expect(Set(pair.map(\.type)) == ["file", "hardlink"])
        #expect(pair.allSatisfy { $0.mode == 0o755 })
        #expect(entries["etc/unrelated.conf"] == nil && entries["etc"] == nil)
        #expect(entries.values.allSatisfy { $0.uid == 0 && $0.gid == 0 && $0.mtime == 1_700_000_000 })
        #expect(Set(entries.keys).allSatisfy { $0.hasPrefix("opt") })
    }

    func checkToolsLayer(_ entries: [String: BuildHarness.TarEntry], dockerLine: String?, goTemplate: Bool = true) throws {
        if goTemplate {
            let tool = try #require(entries["opt/harness/client-tools/go-template"])
            #expect(tool.mode == 0o755 && tool.content?.contains("go-template v0.4.5") == true)
            #expect(entries["opt/harness/client-tools"]?.mode == 0o777)
        } else {
            #expect(entries["opt/harness/client-tools/go-template"] == nil)
        }
        if let dockerLine {
            let docker = try #require(entries["usr/local/bin/docker"])
            #expect(docker.mode == 0o755 && docker.content?.contains(dockerLine) == true)
            #expect(entries["usr/local/bin/docker-entrypoint.sh"] == nil)
        } else {
            #expect(entries["usr/local/bin/docker"] == nil)
        }
        #expect(entries.values.allSatisfy { $0.uid == 0 && $0.gid == 0 })
    }

    /// The docker CLI from the static tgz by URL, go-template from a local file.
    @Test func toolsFromArchiveURLAndLocalFile() throws {
        let goTemplate = try TemporaryDirectory().path + "/go-template"
        try "#!/bin/sh\necho \"go-template v0.4.5 (local)\"\n".write(toFile: goTemplate, atomically: true, encoding: .utf8)
        let target = BuildHarness.newTarget("build-tools")
        let result = try BuildHarness.build(target: target, goTemplate: goTemplate, dockerImage: false,
                                            extra: ["--docker-cli-file", TestWorld.dockerTgzURL])
        try #require(result.status == 0, "\(result.stderr)")
        let layers = BuildHarness.layerDigests(try BuildHarness.rawManifest(try BuildHarness.taggedReference(result)))
        let tools = try BuildHarness.tarListing(try BuildHarness.downloadBlob(try #require(layers.last), repository: target))
        try checkToolsLayer(tools, dockerLine: "Docker version 26.0.1, build fixture")
        #expect(tools["opt/harness/client-tools/go-template"]?.content?.contains("(local)") == true)
    }

    /// INSTALL_GO_TEMPLATE_BINARY=false leaves go-template out; --no-docker-cli the docker CLI;
    /// with neither tool there is no tools layer at all.
    @Test func toolsCanBeLeftOut() throws {
        let withoutGoTemplate = BuildHarness.newTarget("build-nogt")
        let first = try BuildHarness.build(target: withoutGoTemplate, goTemplate: nil,
                                           environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch, "INSTALL_GO_TEMPLATE_BINARY": "false"])
        try #require(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("go-template: skipped"))
        let layers = BuildHarness.layerDigests(try BuildHarness.rawManifest(try BuildHarness.taggedReference(first)))
        let tools = try BuildHarness.tarListing(try BuildHarness.downloadBlob(try #require(layers.last), repository: withoutGoTemplate))
        try checkToolsLayer(tools, dockerLine: "fixture-amd64", goTemplate: false)

        let bare = BuildHarness.newTarget("build-bare")
        let second = try BuildHarness.build(target: bare, goTemplate: nil, dockerImage: false, extra: ["--no-go-template", "--no-docker-cli"])
        try #require(second.status == 0, "\(second.stderr)")
        let bareLayers = BuildHarness.layerDigests(try BuildHarness.rawManifest(try BuildHarness.taggedReference(second)))
        #expect(bareLayers.count == (TestWorld.fixtures[BuildHarness.nodeBase]?.layers?.count ?? 0) + 1)
        #expect(bareLayers.last == layers[layers.count - 2], "the plugin layer does not depend on the tools")
    }
}
