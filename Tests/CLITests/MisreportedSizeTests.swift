import Foundation
import Testing
import TestSupport

/// A registry (or a cache in front of it) that reports the wrong size for a blob the target
/// already holds: the copy stops with one line naming the blob, and the new tag is never written.
@Suite("a registry misreporting a blob's size", .enabled(if: TestWorld.available))
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
        let tag = try Command.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}",
                                                    "http://\(TestWorld.plain)/v2/\(repository)/manifests/2"])
        #expect(tag.stdout == "404")
    }
}
