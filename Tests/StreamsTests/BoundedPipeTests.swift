import Foundation
import Testing
import OCI
@testable import Streams

@Suite("BoundedPipe", .timeLimit(.minutes(2)))
struct BoundedPipeTests {
    @Test func moves64MiBBetweenThreadsThroughA64KiBPipe() async throws {
        let pipe = BoundedPipe(capacity: 64 * 1024)
        let block = pseudoRandomBytes(count: 1 << 20, seed: 42)
        let total = 64 << 20

        async let written: (Digest, Int64) = onThread {
            let hasher = SHA256Hasher()
            var sent: Int64 = 0
            var chunkSizes = [1, 7, 4096, 65_536, 65_537, 300_000, 1 << 20]
            var blockIndex: UInt64 = 0
            var buffer = block
            // Each MiB differs: its first 8 bytes carry the block number.
            while sent < Int64(total) {
                withUnsafeBytes(of: blockIndex.littleEndian) { header in
                    for i in 0..<8 { buffer[i] = header[i] }
                }
                var offset = 0
                while offset < buffer.count {
                    let size = min(chunkSizes[0], buffer.count - offset)
                    chunkSizes.append(chunkSizes.removeFirst())
                    try buffer[offset..<offset + size].withUnsafeBytes { chunk in
                        hasher.update(chunk)
                        try pipe.write(chunk)
                    }
                    offset += size
                }
                sent += Int64(buffer.count)
                blockIndex += 1
            }
            pipe.finish()
            return (hasher.finalize(), sent)
        }
        async let read: (Digest, Int64, Int64) = onThread {
            let sink = HashingSink()
            let count = try pipe.pump(to: sink, bufferSize: 10_007)
            return (sink.finalize(), count, sink.count)
        }
        let (w, r) = try await (written, read)
        #expect(w.1 == Int64(total))
        #expect(r.1 == Int64(total))
        #expect(r.2 == Int64(total))
        #expect(r.0 == w.0)
    }

    @Test("preserves bytes and order across wrap-around", arguments: [
        (1, 1, 1), (7, 3, 5), (7, 5, 3), (16, 16, 16), (16, 17, 15), (1000, 999, 1001), (4096, 100_000, 333),
    ])
    func wrapAround(capacity: Int, writeChunk: Int, readChunk: Int) async throws {
        let pipe = BoundedPipe(capacity: capacity)
        let data = pseudoRandomBytes(count: 50_000, seed: UInt64(capacity * 31 + writeChunk))
        async let writer: Void = onThread {
            var offset = 0
            while offset < data.count {
                let end = min(offset + writeChunk, data.count)
                try data[offset..<end].withUnsafeBytes { try pipe.write($0) }
                offset = end
            }
            pipe.finish()
        }
        async let received: [UInt8] = onThread { try pipe.drain(bufferSize: readChunk) }
        try await writer
        #expect(try await received == data)
    }

    @Test func finishGivesEndOfStreamAfterDrain() throws {
        let pipe = BoundedPipe(capacity: 64)
        let data = Array(0..<50).map(UInt8.init)
        try pipe.write(data)
        pipe.finish()
        #expect(try pipe.drain(bufferSize: 8) == data)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { buffer.deallocate() }
        #expect(try pipe.read(into: buffer) == 0)
        #expect(try pipe.read(into: buffer) == 0)
    }

    @Test func writeAfterFinishThrowsClosed() throws {
        let pipe = BoundedPipe(capacity: 64)
        pipe.finish()
        do { try pipe.write([1, 2, 3]); Issue.record("write after finish succeeded") } catch StreamError.closed {} catch {
            Issue.record("unexpected \(error)")
        }
        try pipe.write([])  // nothing to write is not an error
    }

    @Test func finishWakesABlockedReader() async throws {
        let pipe = BoundedPipe(capacity: 64)
        async let count: Int = onThread {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
            defer { buffer.deallocate() }
            return try pipe.read(into: buffer)
        }
        try await Task.sleep(for: .milliseconds(100))
        pipe.finish()
        #expect(try await count == 0)
    }

    @Test func readerFailureUnblocksABlockedWriter() async throws {
        let pipe = BoundedPipe(capacity: 16)
        let progress = Counter()
        async let outcome: Result<Void, TestFailure> = onThread {
            do {
                for _ in 0..<1000 {
                    try pipe.write([UInt8](repeating: 1, count: 1024))
                    progress.increment()
                }
                return .success(())
            } catch let error as TestFailure {
                return .failure(error)
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        // The pipe holds 16 bytes: the writer is stuck in its first write.
        #expect(progress.value == 0)
        pipe.fail(TestFailure(name: "upload refused"))
        let result = try await outcome
        #expect(throws: TestFailure(name: "upload refused")) { try result.get() }
    }

    @Test func writerFailureUnblocksABlockedReader() async throws {
        let pipe = BoundedPipe(capacity: 16)
        async let outcome: Result<Int, TestFailure> = onThread {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
            defer { buffer.deallocate() }
            do { return .success(try pipe.read(into: buffer)) } catch let error as TestFailure { return .failure(error) }
        }
        try await Task.sleep(for: .milliseconds(200))
        pipe.fail(TestFailure(name: "GET reset"))
        let result = try await outcome
        #expect(throws: TestFailure(name: "GET reset")) { try result.get() }
    }

    @Test func failureWinsOverBufferedDataAndFirstFailureWins() throws {
        let pipe = BoundedPipe(capacity: 64)
        try pipe.write([1, 2, 3])
        pipe.fail(TestFailure(name: "first"))
        pipe.fail(TestFailure(name: "second"))
        pipe.finish()
        #expect(throws: TestFailure(name: "first")) { try pipe.drain(bufferSize: 8) }
        #expect(throws: TestFailure(name: "first")) { try pipe.write([4]) }
    }

    @Test func failAfterFinishStillFailsTheReader() throws {
        let pipe = BoundedPipe(capacity: 64)
        try pipe.write([1, 2, 3])
        pipe.finish()
        pipe.fail(TestFailure(name: "digest mismatch"))
        #expect(throws: TestFailure(name: "digest mismatch")) { try pipe.drain(bufferSize: 8) }
    }

    @Test func emptyReadBufferReturnsImmediately() throws {
        let pipe = BoundedPipe(capacity: 8)
        let empty = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 1)
        defer { empty.deallocate() }
        #expect(try pipe.read(into: empty) == 0)  // would block forever before the fix
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
