import Foundation
import Testing
import TestSupport

/// `samforge diff A B`: config side by side, layers shared / only in a / only in b, and with
/// `--files` the merged filesystems compared, from any two locations.
@Suite("diff")
struct DiffTests {
    /// Writes an OCI layout whose images are made of the tar entries given (Python's tarfile,
    /// independent of samforge's writer): `{tag: {config, layers: [[entry]], gzipLevel?}}`.
    static func layout(_ images: [String: Any]) throws -> String {
        let directory = try TemporaryDirectory().path
        let spec = directory + "/spec.json"
        try JSONSerialization.data(withJSONObject: images).write(to: URL(fileURLWithPath: spec))
        let result = try Command.run("python3", ["-c", makeLayout, directory + "/layout", spec])
        try #require(result.status == 0, "\(result.stderr)")
        return directory + "/layout"
    }

    static let makeLayout = """
    import gzip, hashlib, io, json, os, sys, tarfile
    out, spec = sys.argv[1], json.load(open(sys.argv[2]))
    os.makedirs(out + "/blobs/sha256")
    def blob(data):
        digest = hashlib.sha256(data).hexdigest()
        open(f"{out}/blobs/sha256/{digest}", "wb").write(data)
        return {"digest": "sha256:" + digest, "size": len(data)}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
    for tag, image in sorted(spec.items()):
        layers, diff_ids = [], []
        for entries in image["layers"]:
            raw = io.BytesIO()
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for e in entries:
                    info = tarfile.TarInfo(e["name"]); info.mode = e.get("mode", 0o644); info.mtime = 0
                    info.uid = info.gid = e.get("owner", 0)
                    data = None
                    if e["type"] == "dir": info.type = tarfile.DIRTYPE
                    elif e["type"] == "symlink": info.type = tarfile.SYMTYPE; info.linkname = e["target"]
                    else: data = b"x" * e.get("size", 0); info.size = len(data)
                    tar.addfile(info, io.BytesIO(data) if data is not None else None)
            diff_ids.append("sha256:" + hashlib.sha256(raw.getvalue()).hexdigest())
            compressed = gzip.compress(raw.getvalue(), compresslevel=image.get("gzipLevel", 9), mtime=0)
            layers.append(dict(blob(compressed), mediaType="application/vnd.oci.image.layer.v1.tar+gzip"))
        config = {"architecture": "amd64", "os": "linux", "config": image["config"],
                  "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": [{"created_by": f"layer {i}"} for i in range(len(layers))]}
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": dict(blob(json.dumps(config).encode()), mediaType="application/vnd.oci.image.config.v1+json"), "layers": layers}
        entry = dict(blob(json.dumps(manifest).encode()), mediaType=manifest["mediaType"])
        entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
        index["manifests"].append(entry)
    json.dump(index, open(out + "/index.json", "w"))
    json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
    """

    static var bottom: [[String: Any]] { [
        ["name": "etc", "type": "dir", "mode": 0o755], ["name": "etc/conf", "type": "file", "size": 10],
        ["name": "bin/sh", "type": "symlink", "target": "bash", "mode": 0o777], ["name": "data", "type": "file", "size": 3],
        ["name": "gone", "type": "file", "size": 1], ["name": "turns", "type": "dir", "mode": 0o755],
        ["name": "same\u{1B}[31m", "type": "file", "size": 1],
    ] }
    /// Over the bottom layer: every kind of change, a whiteout, and names and values that
    /// carry terminal escapes.
    static var top: [[String: Any]] { [
        ["name": "etc/conf", "type": "file", "size": 20, "mode": 0o600], ["name": "bin/sh", "type": "symlink", "target": "dash", "mode": 0o777],
        ["name": "data", "type": "file", "size": 3, "owner": 1000], ["name": ".wh.gone", "type": "file"],
        ["name": ".wh.turns", "type": "file"], ["name": "turns", "type": "file", "size": 5],
        ["name": "new\u{1B}]0;title\u{07}", "type": "file", "size": 7, "mode": 0o755],
    ] }

    static func images() throws -> String {
        try layout([
            "a": ["config": ["Env": ["PATH=/bin", "X=1", "KEPT=1"], "Labels": ["l": "v"], "Cmd": ["/bin/sh"], "WorkingDir": "/w"], "layers": [bottom]],
            "b": ["config": ["Env": ["PATH=/usr/bin", "Y=2\u{1B}[2J", "KEPT=1"], "Labels": ["l": "v\u{1B}[31m"], "Entrypoint": ["/bin/sh"], "WorkingDir": "/w", "User": "1000"],
                  "layers": [bottom, top]],
            // The bottom layer again, compressed at another level: same content, new digest.
            "c": ["config": [:], "layers": [bottom], "gzipLevel": 1],
        ])
    }

    struct Report: Decodable {
        struct Field: Decodable { var same: Bool; var a: [String]?; var b: [String]? }
        struct Pairs: Decodable {
            struct Changed: Decodable, Equatable { var key: String; var a: String; var b: String }
            var same: Bool; var unchanged: Int; var added: [String]; var removed: [String]; var changed: [Changed]
        }
        struct Config: Decodable { var Env: Pairs; var Labels: Pairs; var Entrypoint: Field; var Cmd: Field; var WorkingDir: Field; var User: Field }
        struct Layer: Decodable { var digest: String; var a: Int?; var b: Int? }
        struct Layers: Decodable { var shared: [Layer]; var onlyA: [Layer]; var onlyB: [Layer]; var recompressed: [String] }
        struct Entry: Decodable { var path: String; var type: String; var mode: String; var uid: Int; var size: Int64; var linkTarget: String? }
        struct Changed: Decodable { var path: String; var changes: [String]; var a: Entry; var b: Entry }
        struct Files: Decodable { var added: [Entry]; var removed: [Entry]; var changed: [Changed]; var unchanged: Int }
        struct Side: Decodable { var reference: String; var digest: String; var manifestDigest: String; var platform: String? }
        var a: Side; var b: Side; var config: Config; var layers: Layers; var files: Files?
    }

    static func report(_ arguments: [String]) throws -> Report {
        let result = try Command.samforge(["diff", "--json"] + arguments)
        try #require(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
    }

    @Test func everyKindOfChange() throws {
        let layout = try Self.images()
        let report = try Self.report(["--files", "oci:\(layout):a", "oci:\(layout):b"])
        #expect(report.config.Env.changed == [.init(key: "PATH", a: "/bin", b: "/usr/bin")])
        #expect(report.config.Env.added == ["Y=2\u{1B}[2J"] && report.config.Env.removed == ["X=1"] && report.config.Env.unchanged == 1)
        #expect(report.config.Labels.changed == [.init(key: "l", a: "v", b: "v\u{1B}[31m")])
        #expect(!report.config.Entrypoint.same && report.config.Entrypoint.a == nil && report.config.Entrypoint.b == ["/bin/sh"])
        #expect(!report.config.Cmd.same && report.config.Cmd.a == ["/bin/sh"] && report.config.Cmd.b == nil)
        #expect(report.config.WorkingDir.same && !report.config.User.same && report.config.User.b == ["1000"])
        #expect(report.layers.shared.map { [$0.a, $0.b] } == [[0, 0]] && report.layers.onlyA.isEmpty)
        #expect(report.layers.onlyB.map(\.b) == [1])
        let files = try #require(report.files)
        #expect(files.added.map(\.path) == ["/new\u{1B}]0;title\u{07}"])
        #expect(files.removed.map(\.path) == ["/gone"])
        let changes = Dictionary(uniqueKeysWithValues: files.changed.map { ($0.path, $0.changes) })
        #expect(changes == ["/bin/sh": ["linkTarget"], "/data": ["owner"], "/etc/conf": ["size", "mode"], "/turns": ["type", "size", "mode"]])
        #expect(files.changed.first { $0.path == "/bin/sh" }.map { [$0.a.linkTarget, $0.b.linkTarget] } == ["bash", "dash"])
        // "/", /etc, /bin and the escaped name are the same in both.
        #expect(files.unchanged == 3, "\(files.unchanged)")
    }

    /// The human view: a's and b's values together, every change marked, nothing an image
    /// supplies reaching the terminal unescaped.
    @Test func humanView() throws {
        let layout = try Self.images()
        let result = try Command.samforge(["diff", "--files", "oci:\(layout):a", "oci:\(layout):b"])
        try #require(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "control characters reach the terminal")
        for line in ["  Cmd          a: [\"/bin/sh\"]", "               b: (none)", "  WorkingDir   /w (same)",
                     "    ~ PATH  a: /bin", "            b: /usr/bin", "    - X=1", "    + Y=2\\u{1b}[2J",
                     "layers: 1 shared, 0 only in a, 1 only in b",
                     "files: 1 only in b, 1 only in a, 4 changed, 3 the same",
                     "  - /gone  file 0644 0/0 1 B", "  + /new\\u{1b}]0;title\\u{7}  file 0755 0/0 7 B",
                     "  ~ /bin/sh  link target bash -> dash", "  ~ /data  owner 0/0 -> 1000/1000",
                     "  ~ /etc/conf  size 10 B -> 20 B; mode 0644 -> 0600", "  ~ /turns  type directory -> file; size 0 B -> 5 B; mode 0755 -> 0644"] {
            #expect(text.split(separator: "\n").contains { $0 == line }, "missing: \(line)\n\(text)")
        }
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test func sameContentCompressedDifferently() throws {
        let layout = try Self.images()
        let report = try Self.report(["--files", "oci:\(layout):a", "oci:\(layout):c"])
        #expect(report.layers.shared.isEmpty && report.layers.onlyA.count == 1 && report.layers.onlyB.count == 1)
        #expect(report.layers.recompressed == report.layers.onlyB.map(\.digest))
        let files = try #require(report.files)
        #expect(files.added.isEmpty && files.removed.isEmpty && files.changed.isEmpty && files.unchanged > 0)
    }

    @Test func withoutFilesThereIsNoFilesView() throws {
        let report = try Self.report(["oci:\(try Self.images()):a", "oci:\(try Self.images()):b"])
        #expect(report.files == nil)
    }

    @Test func badLocationsAreOneLine() throws {
        let result = try Command.samforge(["diff", "oci:/nonexistent/layout:1", "s3:bucket/x"])
        #expect(result.status == 2 && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
}

@Suite("diff across locations", .enabled(if: TestWorld.available))
struct DiffLocationTests {
    /// The same image in a registry, an OCI layout and a docker archive: nothing differs.
    @Test func theSameImageEverywhere() throws {
        let directory = try TemporaryDirectory().path
        let registry = "\(TestWorld.plain)/\(CopyTests.nodeAMD64)"
        _ = try CopyKit.succeed(["copy", "-q", registry, "oci:\(directory)/layout:1"])
        _ = try CopyKit.succeed(["copy", "-q", registry, "docker-archive:\(directory)/image.tar:app:1"])
        for other in ["oci:\(directory)/layout:1", "docker-archive:\(directory)/image.tar"] {
            let report = try DiffTests.report(["--files", registry, other])
            #expect(report.layers.onlyA.isEmpty && report.layers.onlyB.isEmpty && report.layers.shared.count == 3, "\(other)")
            #expect(report.config.Env.same && report.config.Cmd.same && report.config.Entrypoint.same, "\(other)")
            let files = try #require(report.files)
            #expect(files.added.isEmpty && files.removed.isEmpty && files.changed.isEmpty && files.unchanged > 10, "\(other)")
        }
    }

    /// --platform picks the child of an index: the arm64 child is the -arm64 tag's image.
    @Test func platformPicksTheChild() throws {
        let index = "\(TestWorld.plain)/\(CopyTests.nodeList)"
        let report = try DiffTests.report(["--platform", "linux/arm64", index, "\(TestWorld.plain)/sam/build-nodejs18.x:1.143.0-20250502200316-arm64"])
        #expect(report.a.manifestDigest == report.b.manifestDigest, "\(report.a) \(report.b)")
        #expect(report.a.digest == (try CopyKit.fixture(CopyTests.nodeList).digest))
        #expect(report.a.platform?.hasPrefix("linux/arm64") == true)
    }

    /// A base against what `append` made of it: its layers shared, one new on top, the config
    /// changes and the new files.
    @Test func aBaseAndAnAppendResult() throws {
        let directory = try TemporaryDirectory().path
        let file = directory + "/hello"
        try "hello, world\n".write(toFile: file, atomically: true, encoding: .utf8)
        let base = "\(TestWorld.plain)/\(CopyTests.nodeAMD64)"
        let target = CopyKit.newRepository("diff-append") + ":1"
        _ = try CopyKit.succeed(["append", "-q", "--cache-dir", directory + "/cache", "--file", file + ":/opt/hello:0755",
                                 "--env", "GREETING=hi", "--entrypoint", "[\"/opt/hello\"]", "--workdir", "/srv", base, target])
        let report = try DiffTests.report(["--files", base, target])
        #expect(report.layers.shared.count == 3 && report.layers.onlyA.isEmpty && report.layers.onlyB.map(\.b) == [3])
        #expect(report.config.Env.added == ["GREETING=hi"] && report.config.Env.removed.isEmpty)
        #expect(report.config.Entrypoint.b == ["/opt/hello"] && report.config.WorkingDir.b == ["/srv"])
        let added = try #require(report.files).added
        #expect(added.contains { $0.path == "/opt/hello" && $0.mode == "0755" && $0.size == 13 }, "\(added.map(\.path))")
        #expect(added.contains { $0.path == "/srv" && $0.type == "directory" })
    }
}
