import Foundation

/// A bounded in-memory pipe between a producer thread and a consumer thread: a registry GET
/// writes into it while an upload (or a tar reader) reads from it. Memory stays at `capacity`
/// however large the blob; a full pipe blocks the writer, an empty one blocks the reader.
/// Either side can fail the pipe, which wakes and fails the other.
public final class BoundedPipe: ByteSource, ByteSink, @unchecked Sendable {
    private let condition = NSCondition()
    private var buffer: [UInt8]
    private var head = 0
    private var count = 0
    private var finished = false
    private var failure: Error?

    public init(capacity: Int = 4 * 1024 * 1024) {
        precondition(capacity > 0, "BoundedPipe capacity must be positive")
        buffer = [UInt8](repeating: 0, count: capacity)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        condition.lock()
        defer { condition.unlock() }
        while offset < bytes.count {
            while count == buffer.count && failure == nil && !finished { try pause() }
            if let failure { throw failure }
            if finished { throw StreamError.closed }
            let tail = (head + count) % buffer.count
            let room = min(buffer.count - count, buffer.count - tail)
            let n = min(room, bytes.count - offset)
            buffer.withUnsafeMutableBytes { dst in
                dst.baseAddress!.advanced(by: tail).copyMemory(from: bytes.baseAddress!.advanced(by: offset), byteCount: n)
            }
            count += n
            offset += n
            condition.broadcast()
        }
    }

    public func read(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        guard target.count > 0 else { return 0 }
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !finished && failure == nil { try pause() }
        if let failure { throw failure }
        if count == 0 { return 0 }
        let n = min(target.count, count, buffer.count - head)
        buffer.withUnsafeBytes { src in
            target.baseAddress!.copyMemory(from: src.baseAddress!.advanced(by: head), byteCount: n)
        }
        head = (head + n) % buffer.count
        count -= n
        condition.broadcast()
        return n
    }

    /// Waits (lock held) for the other side, waking now and then to notice a signal: a side
    /// blocked on a pipe whose other end is stuck still stops on Ctrl-C or SIGTERM.
    private func pause() throws {
        _ = condition.wait(until: Date(timeIntervalSinceNow: 0.25))
        try Interruption.check()
    }

    /// The producer is done: the reader sees the end after draining.
    public func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Fails both sides (first failure wins).
    public func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }
}
