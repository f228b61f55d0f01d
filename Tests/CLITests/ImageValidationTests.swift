import Foundation
import Testing
import TestSupport

/// The validator every copy, append and build test runs on what samforge wrote
/// (scripts/validate-image.py) must itself catch broken images: a check that cannot fail
/// would prove nothing.
@Suite("The image validator catches broken images", .enabled(if: TestWorld.available))
struct ImageValidationTests {

    /// A fresh OCI layout holding the python3.12 base, written by samforge.
    func layout() throws -> String {
        let directory = try TemporaryDirectory().path + "/layout"
        try CopyKit.succeed(["copy", "-q", "\(TestWorld.plain)/\(BuildHarness.pythonBase)", "oci:\(directory):base"])
        return directory
    }

    func blobPath(_ directory: String, _ digest: String) -> String {
        directory + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
    }

    func manifest(_ directory: String) throws -> [String: Any] {
        let index = try CopyKit.json(try String(contentsOfFile: directory + "/index.json", encoding: .utf8))
        let entry = try #require((index["manifests"] as? [[String: Any]])?.first?["digest"] as? String)
        return try CopyKit.json(try String(contentsOfFile: blobPath(directory, entry), encoding: .utf8))
    }

    @Test func aValidLayoutPasses() throws {
        #expect(try ImageValidation.problem("oci:\(try layout()):base") == nil)
    }

    @Test func aCorruptLayerFails() throws {
        let directory = try layout()
        let layer = try #require(CopyKit.layerDigests(ofManifest: try manifest(directory)).last)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: blobPath(directory, layer)))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: blobPath(directory, layer)))
        #expect(try ImageValidation.problem("oci:\(directory):base")?.contains("does not match its descriptor") == true)
    }

    @Test func aMissingLayerFails() throws {
        let directory = try layout()
        let layer = try #require(CopyKit.layerDigests(ofManifest: try manifest(directory)).first)
        try FileManager.default.removeItem(atPath: blobPath(directory, layer))
        #expect(try ImageValidation.problem("oci:\(directory):base")?.contains("missing") == true)
    }

    /// A config whose diff_id does not describe its layer, with every digest above it redone
    /// so that only the diff_id is wrong.
    @Test func aWrongDiffIDFails() throws {
        let directory = try layout()
        let script = """
        import hashlib, json, os, sys
        d = sys.argv[1]
        def blob(h): return os.path.join(d, "blobs", "sha256", h.split(":")[1])
        def put(data):
            h = "sha256:" + hashlib.sha256(data).hexdigest()
            open(blob(h), "wb").write(data)
            return h, len(data)
        index = json.load(open(os.path.join(d, "index.json")))
        manifest = json.load(open(blob(index["manifests"][0]["digest"])))
        config = json.load(open(blob(manifest["config"]["digest"])))
        config["rootfs"]["diff_ids"][0] = "sha256:" + "0" * 64
        manifest["config"]["digest"], manifest["config"]["size"] = put(json.dumps(config).encode())
        index["manifests"][0]["digest"], index["manifests"][0]["size"] = put(json.dumps(manifest).encode())
        json.dump(index, open(os.path.join(d, "index.json"), "w"))
        """
        _ = try CopyKit.shell("python3 -c \"$1\" \"$2\"", [script, directory])
        #expect(try ImageValidation.problem("oci:\(directory):base")?.contains("diff_id says") == true)
    }
}
