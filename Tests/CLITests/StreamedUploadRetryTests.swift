import Foundation
import Testing
import TestSupport

/// A blob streamed from one registry to another (GET piped into the upload) cannot be rewound:
/// when its upload fails in a way a retry can fix, the blob's transfer starts over (new GET, new
/// session) within one budget per blob. The destination is a private fault proxy in front of
/// the plain registry; the source is the plain registry itself (another host: no mounts).
@Suite("Streamed uploads retried", .enabled(if: TestWorld.available))
struct StreamedUploadRetryTests {
    static let source = "\(TestWorld.plain)/sam/build-nodejs18.x:1.143.0"

    /// The copy's result and the target as the registry itself (not the proxy) names it.
    static func copy(to proxy: PrivateFaultProxy, _ prefix: String) throws -> (CommandResult, String) {
        let repository = TestWorld.uniqueRepository(prefix)
        let result = try CopyKit.samforge(["copy", "--quiet", source, "\(proxy.address)/\(repository):v1"])
        return (result, "\(TestWorld.plain)/\(repository):v1")
    }

    static func retryLines(_ result: CommandResult) -> [String] {
        result.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("samforge: retrying ") }
    }

    /// The connection is closed after the whole body of a streamed PUT (on a reused
    /// connection); libcurl cannot resend a pipe, so the blob starts over.
    @Test func droppedStreamedPutRestartsTheBlob() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        try proxy.proxy.arm("drop", match: "/blobs/uploads/", count: 2, ["method": "PUT"])
        let (result, target) = try Self.copy(to: proxy, "drop-stream")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try proxy.proxy.stats()["faults"] == 2)
        #expect(Self.retryLines(result).filter { $0.contains("retrying blob ") }.count == 2, "\(result.stderr)")
        #expect(try CopyKit.rawDigest("docker://\(target)") == CopyKit.rawDigest("docker://\(Self.source)"))
    }

    @Test(arguments: [(429, "1", "rate limited by"), (503, "0", "HTTP 503")])
    func transientStatusOnTheFinalPut(code: Int, retryAfter: String, reason: String) throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        try proxy.proxy.arm("status", match: "/blobs/uploads/", count: 2, ["method": "PUT", "code": String(code), "retry_after": retryAfter])
        let (result, target) = try Self.copy(to: proxy, "status-stream")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Self.retryLines(result)
        #expect(lines.count == 2, "\(result.stderr)")
        for line in lines {
            #expect(line.contains(" in \(retryAfter) s: ") && line.contains(reason), "\(line)")
        }
        #expect(try CopyKit.rawDigest("docker://\(target)") == CopyKit.rawDigest("docker://\(Self.source)"))
    }

    /// A registry that keeps refusing: the blob's budget (5 attempts by default) runs out and
    /// the copy ends with one error line; no tag is written.
    @Test func persistentFailureIsBounded() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        let layer = try #require(TestWorld.fixtures[BuildHarness.nodeBase]?.layers?.first)
        try proxy.proxy.arm("status", match: "digest=\(layer)", count: 1000, ["method": "PUT", "code": "503", "retry_after": "0"])
        let (result, target) = try Self.copy(to: proxy, "status-bounded")
        #expect(result.status == 1)
        #expect(CopyKit.errorLine(result).contains("HTTP 503"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").filter { $0.hasPrefix("samforge: error: ") }.count == 1)
        #expect(try proxy.proxy.puts(matching: "digest=\(layer)").count == 5)
        let repository = target.dropFirst(TestWorld.plain.count).split(separator: ":").first.map(String.init) ?? ""
        #expect(try TestWorld.registryStatus("/v2\(repository)/tags/list") == 404)
    }

    /// A whole build whose pushes lose their connections after the body: the layers it wrote
    /// (from files), its config (from memory) and the base layers it streams all survive, and
    /// the image is the one a fault-free build gives.
    @Test func buildSurvivesDroppedUploads() throws {
        let clean = try BuildHarness.build(target: BuildHarness.newTarget("drop-build-clean"))
        try #require(clean.status == 0, "\(clean.stderr)")
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        try proxy.proxy.arm("drop", match: "/blobs/uploads/", count: 4, ["method": "PUT"])
        try proxy.proxy.arm("drop", match: "/manifests/", count: 1, ["method": "PUT"])
        let faulted = try BuildHarness.build(target: BuildHarness.newTarget("drop-build", host: proxy.address))
        #expect(faulted.status == 0, "\(faulted.stderr)")
        #expect(try proxy.proxy.stats()["faults"] == 5)
        #expect(faulted.lastLine.split(separator: "@").last == clean.lastLine.split(separator: "@").last)
    }
}
