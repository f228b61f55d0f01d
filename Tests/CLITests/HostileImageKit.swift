import Foundation
import Testing
import TestSupport

/// Crafted images for the hostile-input tests: layer blobs given as bytes (any compression,
/// any damage), written by Python into an OCI layout (independent of samforge's writer), and
/// pushed to the plain test registry by `samforge copy` (which moves blobs without reading them).
enum HostileImage {
    struct Layer {
        var bytes: Data
        /// The config's diff_id for it; nil: sha256 of `uncompressed` (or of the bytes).
        var diffID: String?
        /// The tar inside, when the test knows it (to compute the right diff_id).
        var uncompressed: Data?
    }

    struct Built {
        var layout: String
        var manifestDigest: String
        var layerDigests: [String]
        var location: String { "oci:\(layout):img" }
    }

    /// Writes an OCI layout tagged `img` holding `layers` and a config whose `config` object is
    /// `config` (Env, Labels, …) and whose history has `createdBy` lines.
    static func layout(_ layers: [Layer], config: [String: Any] = [:], createdBy: [String]? = nil,
                       in directory: String? = nil) throws -> Built {
        let root = try directory ?? CopyKit.temporaryDirectory()
        var specs: [[String: Any]] = []
        for (index, layer) in layers.enumerated() {
            let path = "\(root)/layer-\(index).bin"
            try layer.bytes.write(to: URL(fileURLWithPath: path))
            var spec: [String: Any] = ["file": path]
            if let diffID = layer.diffID { spec["diffID"] = diffID }
            if let tar = layer.uncompressed { spec["diffID"] = spec["diffID"] ?? sha256(tar) }
            specs.append(spec)
        }
        let description: [String: Any] = ["out": root + "/layout", "layers": specs, "config": config,
                                          "createdBy": createdBy ?? layers.indices.map { "layer \($0)" }]
        let specFile = root + "/spec.json"
        try JSONSerialization.data(withJSONObject: description).write(to: URL(fileURLWithPath: specFile))
        let output = try CopyKit.shell("python3 -c \"$1\" \"$2\"", [script, specFile])
        let lines = output.split(separator: "\n").map(String.init)
        return Built(layout: root + "/layout", manifestDigest: lines.first ?? "", layerDigests: Array(lines.dropFirst()))
    }

    /// Pushes a crafted layout to a fresh repository of the plain registry; returns `HOST/REPO:1`.
    static func push(_ built: Built, prefix: String) throws -> String {
        let target = CopyKit.newRepository(prefix) + ":1"
        try CopyKit.succeed(["copy", "-q", built.location, target], environment: [ImageValidation.skipVariable: "1"])
        return target
    }

    static func sha256(_ data: Data) -> String {
        let file = NSTemporaryDirectory() + "hostile-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: file) }
        try? data.write(to: URL(fileURLWithPath: file))
        return "sha256:" + String(((try? CopyKit.shell("sha256sum \"$1\"", [file])) ?? "").prefix(64))
    }

    /// Runs a python3 script (argv[1:] = arguments) and returns what it wrote to stdout as bytes.
    static func python(_ script: String, _ arguments: [String] = []) throws -> Data {
        let file = NSTemporaryDirectory() + "hostile-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try Command.run("python3", ["-c", script, file] + arguments)
        try #require(result.status == 0, "python: \(result.stderr)")
        return try Data(contentsOf: URL(fileURLWithPath: file))
    }

    /// A PAX tar (python's tarfile) of regular files `(name, content)`; names are bytes given
    /// as latin-1 code points so any byte can appear. Written to argv[1].
    static func tar(_ files: [(name: String, content: String)]) throws -> Data {
        let literal = "[" + files.map { "(\(pyBytes($0.name)), \(pyBytes($0.content)))" }.joined(separator: ",") + "]"
        return try python("""
            import io, sys, tarfile
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8", errors="surrogateescape") as t:
                for name, data in \(literal):
                    info = tarfile.TarInfo(name.decode("utf-8", "surrogateescape"))
                    info.size, info.mode = len(data), 0o755
                    t.addfile(info, io.BytesIO(data))
            open(sys.argv[1], "wb").write(buf.getvalue())
            """)
    }

    /// gzip (python's, mtime 0) of `data`.
    static func gzip(_ data: Data) throws -> Data {
        let input = NSTemporaryDirectory() + "hostile-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: input) }
        try data.write(to: URL(fileURLWithPath: input))
        return try python("import gzip, sys; open(sys.argv[1], 'wb').write(gzip.compress(open(sys.argv[2], 'rb').read(), mtime=0))", [input])
    }

    /// A Python bytes literal of the string's scalars taken as latin-1 bytes (U+00FF is 0xff).
    static func pyBytes(_ text: String) -> String {
        "bytes([" + text.unicodeScalars.map { String($0.value & 0xff) }.joined(separator: ",") + "])"
    }

    private static let script = """
    import hashlib, json, os, sys
    spec = json.load(open(sys.argv[1]))
    out = spec["out"]
    os.makedirs(out + "/blobs/sha256", exist_ok=True)
    def put(data):
        d = hashlib.sha256(data).hexdigest()
        open(f"{out}/blobs/sha256/{d}", "wb").write(data)
        return "sha256:" + d
    layers, diffs = [], []
    for layer in spec["layers"]:
        data = open(layer["file"], "rb").read()
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(data), "size": len(data)})
        diffs.append(layer.get("diffID") or "sha256:" + hashlib.sha256(data).hexdigest())
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": spec["config"],
        "history": [{"created_by": c} for c in spec["createdBy"]],
        "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config), "size": len(config)},
        "layers": layers}).encode()
    m = put(manifest)
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": m, "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "img"}}]},
        open(out + "/index.json", "w"))
    open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
    print(m)
    for layer in layers: print(layer["digest"])
    """
}
