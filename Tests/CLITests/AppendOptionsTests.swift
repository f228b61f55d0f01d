import Foundation
import Testing
import TestSupport

/// The Dockerfile steps `append` covers beyond files: an image from nothing (`scratch`),
/// WORKDIR that exists in the result, shell-form CMD/ENTRYPOINT, empty directories with modes,
/// several tags, and bases other tools write (`"rootfs": {}`).
@Suite("samforge append: scratch, workdir, shell form, tags", .enabled(if: TestWorld.available))
struct AppendOptionsTests {
    var plain: String { TestWorld.plain }

    /// busybox (static) on nothing at all, run from the unpacked layout as an unprivileged user.
    @Test func anImageFromScratchRuns() throws {
        let directory = try TemporaryDirectory().path
        let result = try CopyKit.succeed(["append", "-q", "--file", "/bin/busybox:/bin/busybox:0755", "--dir", "/tmp:1777",
                                          "--entrypoint", #"["/bin/busybox", "echo"]"#, "--cmd", #"["hello from scratch"]"#,
                                          "scratch", "oci:\(directory)/layout:1"])
        #expect(result.lastLine.hasPrefix("oci:\(directory)/layout:1@sha256:"))
        let config = try CopyKit.json(try CopyKit.shell("skopeo inspect --config oci:\"$1\"", ["\(directory)/layout:1"]))
        #expect(config["architecture"] as? String == "amd64" && config["os"] as? String == "linux")
        #expect((config["rootfs"] as? [String: Any])?["diff_ids"] as? [String] != nil)
        _ = try CopyKit.shell("umoci unpack --rootless --image \"$1\" \"$2\"", ["\(directory)/layout:1", directory + "/bundle"])
        let rootfs = directory + "/bundle/rootfs"
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: rootfs + "/tmp")[.posixPermissions] as? Int)
        #expect(mode & 0o7777 == 0o1777)
        #expect(try CopyKit.shell("unshare -r chroot \"$1\" /bin/busybox echo hello from scratch", [rootfs]) == "hello from scratch")
    }

    @Test func workdirExistsAndPlainCommandsAreTheShellForm() throws {
        let target = BuildHarness.newTarget("append-workdir") + ":1"
        try CopyKit.succeed(["append", "-q", "--workdir", "/srv/app", "--cmd", "echo hi", "--entrypoint", "exec \"$@\"",
                             "\(plain)/\(BuildHarness.nodeBase)", target])
        let config = try #require(try BuildHarness.config(target)["config"] as? [String: Any])
        #expect(config["WorkingDir"] as? String == "/srv/app")
        #expect(config["Cmd"] as? [String] == ["/bin/sh", "-c", "echo hi"])
        #expect(config["Entrypoint"] as? [String] == ["/bin/sh", "-c", "exec \"$@\""])
        let layer = try #require(BuildHarness.layerDigests(try BuildHarness.rawManifest(target)).last)
        let listing = try BuildHarness.tarListing(try BuildHarness.downloadBlob(layer, repository: String(target.dropLast(2))))
        #expect(listing["srv/app"]?.type == "dir" && listing["srv/app"]?.mode == 0o755 && listing["srv/app"]?.uid == 0)
    }

    @Test func everyTagNamesTheSameImage() throws {
        let repository = BuildHarness.newTarget("append-tags")
        let result = try CopyKit.succeed(["append", "-q", "--tag", "2.0", "--tag", "latest", "--label", "tags=3",
                                          "\(plain)/\(BuildHarness.pythonBase)", repository + ":1.0"])
        let digest = String(result.lastLine.split(separator: "@").last ?? "")
        for tag in ["1.0", "2.0", "latest"] {
            #expect(try BuildHarness.inspect("\(repository):\(tag)")["Digest"] as? String == digest, "\(tag)")
        }
    }

    @Test(arguments: [
        (["--tag", "bad/tag"], "--tag bad/tag"),
        (["--dir", "relative:0755"], "--dir relative:0755: expected /PATH[:MODE]"),
        (["--dir", "/x:9"], "is not octal"),
        (["--workdir", "relative"], "--workdir relative: give an absolute path"),
        (["--created", "yesterday"], "--created yesterday: expected now or an RFC 3339 time"),
        (["--platform", "linux"], "invalid platform"),
    ])
    func badOptionsExit2(_ extra: [String], message: String) throws {
        let result = try CopyKit.samforge(["append"] + extra + ["\(plain)/\(BuildHarness.pythonBase)", BuildHarness.newTarget("append-bad") + ":1"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(CopyKit.errorLine(result).contains(message), "\(result.stderr)")
    }

    /// containerd and containers/image write `"rootfs": {}` for images without layers; samforge
    /// reads them like any other (inspect, copy, and as a base).
    @Test func anEmptyRootfsObjectIsReadable() throws {
        let directory = try TemporaryDirectory().path + "/empty"
        let script = """
        import hashlib, json, os, sys
        d = sys.argv[1]
        os.makedirs(os.path.join(d, "blobs", "sha256"))
        def put(data):
            h = hashlib.sha256(data).hexdigest()
            open(os.path.join(d, "blobs", "sha256", h), "wb").write(data)
            return {"digest": "sha256:" + h, "size": len(data)}
        config = put(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {}}).encode())
        manifest = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"), "layers": []}).encode())
        json.dump({"schemaVersion": 2, "manifests": [dict(manifest, mediaType="application/vnd.oci.image.manifest.v1+json",
            annotations={"org.opencontainers.image.ref.name": "1"})]}, open(os.path.join(d, "index.json"), "w"))
        open(os.path.join(d, "oci-layout"), "w").write('{"imageLayoutVersion": "1.0.0"}')
        """
        _ = try CopyKit.shell("python3 -c \"$1\" \"$2\"", [script, directory])
        let inspect = try CopyKit.succeed(["inspect", "--json", "oci:\(directory):1"])
        #expect((try CopyKit.json(inspect.stdout)["layers"] as? [Any])?.isEmpty == true)
        let file = try TemporaryDirectory().path + "/f"
        try "f\n".write(toFile: file, atomically: true, encoding: .utf8)
        try CopyKit.succeed(["append", "-q", "--file", "\(file):/f", "oci:\(directory):1", "oci:\(directory):2"])
    }
}
