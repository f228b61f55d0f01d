import Foundation
import Layers
import Streams
import Testing

/// `LayerWriter.onProgress`: content bytes as they go in, ending at the total, and the same
/// blob whether anyone listens or not.
@Suite("layer writer progress")
struct LayerWriterProgressTests {
    final class Calls: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [(Int64, Int64)] = []
        func add(_ done: Int64, _ total: Int64) { lock.withLock { values.append((done, total)) } }
    }

    @Test func reportsEveryByteOfContentUpToTheTotal() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("samforge-progress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("big").path
        let size = 3 * 1024 * 1024 + 17  // several of the writer's 256 KiB chunks, and a tail
        try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: file))

        var writer = LayerWriter()
        try writer.add(.directory("/opt"))
        try writer.add(.file("/opt/big", from: file))
        try writer.add(.bytes("/opt/small", Array("hello".utf8)))
        try writer.add(.symlink("/opt/link", to: "big"))
        let quiet = try writer.write(to: DiscardingSink())

        let calls = Calls()
        writer.onProgress = { calls.add($0, $1) }
        let observed = try writer.write(to: DiscardingSink())
        #expect(observed.digest == quiet.digest && observed.diffID == quiet.diffID)

        let total = Int64(size + 5)
        #expect(calls.values.count > 4, "one call per chunk")
        #expect(calls.values.allSatisfy { $0.1 == total })
        let done = calls.values.map(\.0)
        #expect(done == done.sorted() && done.last == total)
    }
}
