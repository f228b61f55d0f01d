import Foundation
import Testing
import TestSupport

/// `copy --format oci|v2s2`: manifests rewritten into the other flavour, blobs untouched,
/// checked with skopeo and umoci (which reads only OCI layouts of OCI manifests).
@Suite("copy --format", .enabled(if: TestWorld.available))
struct CopyFormatTests {
    static let nodeList = CopyTests.nodeList        // Docker schema2 list: amd64 + arm64
    static let nodeAMD64 = CopyTests.nodeAMD64
    static let pythonIndex = CopyTests.pythonIndex  // OCI index
    static let pythonAMD64 = CopyTests.pythonAMD64
    var plain: String { TestWorld.plain }

    @Test func dockerImageBecomesAnOCILayoutUmociUnpacks() throws {
        let fixture = try CopyKit.fixture(Self.nodeAMD64)
        let layout = try CopyKit.temporaryDirectory() + "/layout"
        let result = try CopyKit.succeed(["copy", "-q", "--format", "oci", "\(plain)/\(Self.nodeAMD64)", "oci:\(layout):node"])

        let raw = try CopyKit.skopeoInspect("oci:\(layout):node", raw: true)
        #expect(raw["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        #expect((raw["config"] as? [String: Any])?["mediaType"] as? String == "application/vnd.oci.image.config.v1+json")
        #expect(Self.layerTypes(raw) == Array(repeating: "application/vnd.oci.image.layer.v1.tar+gzip", count: fixture.layers?.count ?? -1))
        // New manifest bytes, same blobs.
        let digest = try CopyKit.rawDigest("oci:\(layout):node")
        #expect(digest != fixture.digest)
        #expect(result.lastLine == "oci:\(layout):node@\(digest)")
        #expect(try CopyKit.skopeoInspect("oci:\(layout):node")["Layers"] as? [String] == fixture.layers)
        #expect((raw["config"] as? [String: Any])?["digest"] as? String == fixture.config_digest)

        let bundle = layout + "-bundle"
        _ = try CopyKit.shell("umoci unpack --rootless --image \"$1\" \"$2\"", ["\(layout):node", bundle])
        #expect(FileManager.default.fileExists(atPath: bundle + "/rootfs/bin/sh"))
    }

    @Test func wholeDockerListBecomesAnOCIIndex() throws {
        let fixture = try CopyKit.fixture(Self.nodeList)
        let target = CopyKit.newRepository("format-oci") + ":1"
        let result = try CopyKit.succeed(["copy", "-q", "--format", "oci", "\(plain)/\(Self.nodeList)", target])
        let digest = try CopyKit.rawDigest("docker://\(target)")
        #expect(result.lastLine == "\(target)@\(digest)")
        #expect(digest != fixture.digest)

        let source = try CopyKit.skopeoInspect("docker://\(plain)/\(Self.nodeList)", raw: true)
        let index = try CopyKit.skopeoInspect("docker://\(target)", raw: true)
        #expect(index["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        let sourceChildren = (source["manifests"] as? [[String: Any]]) ?? []
        let children = (index["manifests"] as? [[String: Any]]) ?? []
        #expect(children.count == sourceChildren.count && !children.isEmpty)
        let repository = String(target.dropLast(2))
        for (child, original) in zip(children, sourceChildren) {
            #expect(child["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
            #expect(NSDictionary(dictionary: child["platform"] as? [String: Any] ?? [:]).isEqual(to: original["platform"] as? [String: Any] ?? [:]))
            // Each child names the blobs its Docker original named.
            let converted = try CopyKit.skopeoInspect("docker://\(repository)@\(child["digest"] as? String ?? "")", raw: true)
            let before = try CopyKit.skopeoInspect("docker://\(plain)/sam/build-nodejs18.x@\(original["digest"] as? String ?? "")", raw: true)
            #expect(Self.layerDigests(converted) == Self.layerDigests(before))
            #expect(!Self.layerDigests(converted).isEmpty)
        }
    }

    @Test func ociImageBecomesDockerSchema2() throws {
        let fixture = try CopyKit.fixture(Self.pythonAMD64)
        let target = CopyKit.newRepository("format-v2s2") + ":1"
        try CopyKit.succeed(["copy", "-q", "--format", "v2s2", "\(plain)/\(Self.pythonAMD64)", target])
        let raw = try CopyKit.skopeoInspect("docker://\(target)", raw: true)
        #expect(raw["mediaType"] as? String == "application/vnd.docker.distribution.manifest.v2+json")
        #expect((raw["config"] as? [String: Any])?["mediaType"] as? String == "application/vnd.docker.container.image.v1+json")
        #expect(Self.layerTypes(raw).allSatisfy { $0 == "application/vnd.docker.image.rootfs.diff.tar.gzip" })
        #expect(try CopyKit.skopeoInspect("docker://\(target)")["Layers"] as? [String] == fixture.layers)
    }

    @Test("an image already in the format keeps its bytes and digest",
          arguments: [("oci", pythonIndex), ("v2s2", nodeList), ("oci", pythonAMD64)])
    func alreadyInFormatIsUntouched(format: String, name: String) throws {
        let fixture = try CopyKit.fixture(name)
        let target = CopyKit.newRepository("format-same") + ":1"
        let result = try CopyKit.succeed(["copy", "-q", "--format", format, "\(plain)/\(name)", target])
        #expect(result.lastLine == "\(target)@\(fixture.digest)")
        #expect(try CopyKit.rawDigest("docker://\(target)") == fixture.digest)
    }

    @Test func unknownFormatIsAUsageError() throws {
        let result = try CopyKit.samforge(["copy", "--format", "zip", "localhost:1/a:b", "oci:/tmp/x"])
        #expect(result.status == 2)
        #expect(CopyKit.errorLine(result).contains("--format takes oci or v2s2 (got \"zip\")"), "\(result.stderr)")
    }

    static func layerTypes(_ manifest: [String: Any]) -> [String] {
        ((manifest["layers"] as? [[String: Any]]) ?? []).compactMap { $0["mediaType"] as? String }
    }

    static func layerDigests(_ manifest: [String: Any]) -> [String] {
        ((manifest["layers"] as? [[String: Any]]) ?? []).compactMap { $0["digest"] as? String }
    }
}
