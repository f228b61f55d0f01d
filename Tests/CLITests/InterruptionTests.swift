import Foundation
import Testing
import TestSupport

/// SIGINT and SIGTERM in the middle of a push: uploads stall in the fault proxy (in front of the
/// plain registry), the signal arrives, and the registry itself shows the outcome: every open
/// upload session was cancelled and no tag was written.
@Suite("interrupting a push", .enabled(if: TestWorld.available))
struct InterruptionTests {
    static let source = "sam/build-nodejs18.x:1.143.0-20250502200316-x86_64"

    @Test(arguments: [("SIGINT", SIGINT), ("SIGTERM", SIGTERM)])
    func signalCancelsOpenUploadsAndWritesNoTag(name: String, signal: Int32) throws {
        let repository = TestWorld.uniqueRepository("interrupt")
        let proxy = TestWorld.plainProxy
        try #require(!proxy.isEmpty, "SAMFORGE_TEST_PLAIN_PROXY missing: restart the test world")
        let faults = FaultProxy()
        try faults.arm("stall", match: "\(repository)/blobs/uploads/", count: 100, ["seconds": "30"])

        let process = try Command.startSamforge(["copy", "\(TestWorld.plain)/\(Self.source)", "\(proxy)/\(repository):1"])

        // Signal once the first upload is held open by the proxy.
        var stalled: [String] = []
        for _ in 0..<200 where stalled.isEmpty && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            stalled = try faults.stalledUploads(matching: repository)
        }
        try #require(!stalled.isEmpty, "no upload reached the proxy")
        Thread.sleep(forTimeInterval: 0.2)  // let the parallel uploads stall too
        process.signal(signal)
        let result = process.finish(timeout: 60)
        let message = result.stderr
        #expect(result.status == 128 + signal, "\(message)")
        // Progress lines, then exactly one line saying why it stopped.
        let lines = message.split(separator: "\n")
        #expect(lines.last?.hasPrefix("samforge: interrupted by \(name);") == true, "\(message)")
        #expect(!lines.contains { $0.hasPrefix("samforge: error") }, "\(message)")

        // The registry holds no tag, and none of the sessions the signal cut off survives.
        #expect(try TestWorld.registryStatus("/v2/\(repository)/manifests/1") == 404)
        stalled = try faults.stalledUploads(matching: repository)
        #expect(!stalled.isEmpty)
        for path in stalled {
            #expect(try TestWorld.registryStatus(Self.session(of: path)) == 404, "upload session still open: \(path)")
        }
    }

    /// One blob refused while the others' uploads hang: the refusal ends the copy at once (the
    /// hanging transfers are cancelled and their sessions deleted), instead of after the hang.
    @Test func aRefusedBlobStopsItsSiblings() throws {
        let fixture = try CopyKit.fixture(Self.source)
        let config = try #require(fixture.config_digest)
        let repository = TestWorld.uniqueRepository("sibling")
        let faults = FaultProxy()
        try faults.arm("status", match: "\(repository)/blobs/uploads/", count: 5, ["code": "403", "also": "digest=\(config)"])
        try faults.arm("stall", match: "\(repository)/blobs/uploads/", count: 100, ["seconds": "600"])

        // Waiting for the stalled uploads would take 60 s (the stall limit) or 600 s (the proxy);
        // timeout(1) turns that into exit 124 well before either, without timing anything else.
        let result = try Command.run("/usr/bin/timeout", ["30", Command.samforgePath, "copy", "-q", "--jobs", "4",
                                                          "\(TestWorld.plain)/\(Self.source)", "\(TestWorld.plainProxy)/\(repository):1"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(CopyKit.errorLine(result).contains("access denied"), "\(result.stderr)")
        let stalled = try faults.stalledUploads(matching: repository)
        #expect(!stalled.isEmpty)
        for path in stalled {
            #expect(try TestWorld.registryStatus(Self.session(of: path)) == 404, "upload session still open: \(path)")
        }
        #expect(try TestWorld.registryStatus("/v2/\(repository)/manifests/1") == 404)
    }

    /// The upload's session URL without the digest the PUT would have committed.
    static func session(of path: String) -> String {
        var components = URLComponents(string: path)!
        components.queryItems = components.queryItems?.filter { $0.name != "digest" }
        return components.string!
    }

}
