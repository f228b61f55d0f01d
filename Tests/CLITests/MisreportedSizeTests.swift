import Foundation
import Testing
import TestSupport

/// A registry (or a cache in front of it) that reports the wrong size for a blob the target
/// already holds, or a layout whose blob file is longer than its descriptor: the copy stops with
/// one line naming the blob (it never hangs), and the new tag is never written.
@Suite("blobs whose size is misreported", .enabled(if: TestWorld.available))
struct MisreportedSizeTests {
    @Test func wrongSizeOnHeadStopsTheCopyBeforeTheTag() throws {
        let fixture = try CopyKit.fixture(CopyTests.nodeAMD64)
        let layer = try #require(fixture.layers?.first)
        let repository = TestWorld.uniqueRepository("misreported")
        let target = "\(TestWorld.plainProxy)/\(repository)"
        try CopyKit.succeed(["copy", "-q", "\(TestWorld.plain)/\(CopyTests.nodeAMD64)", target + ":1"])

        try FaultProxy().arm("length", match: "\(repository)/blobs/\(layer)", count: 10, ["bytes": "7"])
        let result = try CopyKit.samforge(["copy", "-q", "\(TestWorld.plain)/\(CopyTests.nodeAMD64)", target + ":2"])
        #expect(result.status == 1)
        #expect(CopyKit.errorLine(result).contains("blob \(layer) has 7 bytes, the manifest says"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try TestWorld.registryStatus("/v2/\(repository)/manifests/2") == 404)
    }

    @Test func layoutBlobLongerThanItsDescriptorFails() throws {
        let layout = try StreamingMemoryTests.writeLayout(try CopyKit.temporaryDirectory() + "/layout", layerMegabytes: 2)
        let blobs = layout.path + "/blobs/sha256"
        // The largest blob is the layer: 3 MiB of garbage after its 2 MiB (more than the pipe holds).
        let layer = try #require(try FileManager.default.contentsOfDirectory(atPath: blobs).max {
            (try? FileManager.default.attributesOfItem(atPath: "\(blobs)/\($0)")[.size] as? Int ?? 0) ?? 0
                < (try? FileManager.default.attributesOfItem(atPath: "\(blobs)/\($1)")[.size] as? Int ?? 0) ?? 0
        })
        _ = try CopyKit.shell("head -c 3145728 /dev/urandom >> \"$1\"", ["\(blobs)/\(layer)"])
        let repository = TestWorld.uniqueRepository("longer")
        let target = "\(TestWorld.plain)/\(repository):1"
        // timeout(1) turns a hang into a failure instead of a stuck test run.
        let result = try Command.run("/usr/bin/timeout", ["60", Command.samforgePath, "copy", "-q", "oci:\(layout.path):img", target])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(CopyKit.errorLine(result).contains("sha256:\(layer)"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try TestWorld.registryStatus("/v2/\(repository)/manifests/1") == 404)
    }

    /// A byte flipped on the way from the source registry: the stream's last byte is held until
    /// the download's digest check, which fails, so the upload never completes and the
    /// destination holds neither the blob nor the tag.
    @Test func corruptedSourceBlobIsNeverCommitted() throws {
        let fixture = try CopyKit.fixture(CopyTests.nodeAMD64)
        let layer = try #require(fixture.layers?.first)
        try FaultProxy().arm("corrupt", match: "sam/build-nodejs18.x/blobs/\(layer)", count: 10)
        let repository = TestWorld.uniqueRepository("corrupt")
        let result = try CopyKit.samforge(["copy", "-q", "\(TestWorld.plainProxy)/\(CopyTests.nodeAMD64)", "\(TestWorld.plain)/\(repository):1"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(CopyKit.errorLine(result).contains("digest mismatch"), "\(result.stderr)")
        for path in ["/v2/\(repository)/blobs/\(layer)", "/v2/\(repository)/manifests/1"] {
            #expect(try TestWorld.registryStatus(path, head: true) == 404, "\(path)")
        }
    }
}
