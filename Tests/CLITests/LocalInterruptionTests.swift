import Foundation
import Testing
import TestSupport

/// SIGTERM while a large layer is being written: a 1 GiB `--file` being archived, hashed and
/// compressed once kept samforge busy for seconds after the signal (the writer's loop never
/// looked, and the abandoned tar was padded to its full size on the way out). Now the signal
/// stops the work within a buffer: exit 143, no tag, nothing left in the cache's tmp.
@Suite("interrupting local work", .enabled(if: TestWorld.available))
struct LocalInterruptionTests {
    @Test func sigtermStopsALargeLayerBeingWritten() throws {
        let directory = try CopyKit.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let big = directory + "/big"
        let cache = directory + "/cache"
        _ = try CopyKit.shell("truncate -s 1G \"$1\"", [big])  // sparse: no disk, same work for samforge
        let target = CopyKit.newRepository("interrupt-local")

        let process = try Command.startSamforge(["append", "--file", big + ":/big", "--cache-dir", cache,
                                                 "\(TestWorld.plain)/\(InspectViewTests.plugin)", target + ":1"])

        // Signal once the layer's temporary file exists: the writer is at work.
        func partials() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: cache + "/tmp")) ?? [] }
        for _ in 0..<400 where partials().isEmpty && process.isRunning { Thread.sleep(forTimeInterval: 0.02) }
        try #require(process.isRunning && !partials().isEmpty, "the layer was never written, or written before the signal")
        process.signal(SIGTERM)
        // Generous: the point is that it exits at all before a pod's grace period, not how fast.
        let result = process.finish(timeout: 10)
        let message = result.stderr
        #expect(result.status == 143, "\(message)")
        #expect(message.split(separator: "\n").last?.hasPrefix("samforge: interrupted by SIGTERM;") == true, "\(message)")
        #expect(partials().isEmpty, "left in the cache's tmp: \(partials())")
        #expect(try BuildHarness.hasNoTags(target))
    }
}
