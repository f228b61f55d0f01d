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

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Command.samforgePath)
        process.arguments = ["append", "--file", big + ":/big", "--cache-dir", cache,
                             "\(TestWorld.plain)/\(InspectViewTests.plugin)", target + ":1"]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Signal once the layer's temporary file exists: the writer is at work.
        func partials() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: cache + "/tmp")) ?? [] }
        for _ in 0..<400 where partials().isEmpty && process.isRunning { Thread.sleep(forTimeInterval: 0.02) }
        try #require(process.isRunning && !partials().isEmpty, "the layer was never written, or written before the signal")
        kill(process.processIdentifier, SIGTERM)
        // Generous: the point is that it exits at all before a pod's grace period, not how fast.
        for _ in 0..<100 where process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        #expect(!process.isRunning, "still running 10 s after SIGTERM")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()

        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 143, "\(message)")
        #expect(message.split(separator: "\n").last?.hasPrefix("samforge: interrupted by SIGTERM;") == true, "\(message)")
        #expect(partials().isEmpty, "left in the cache's tmp: \(partials())")
        #expect(try BuildHarness.hasNoTags(target))
    }
}
