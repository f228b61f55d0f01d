import Foundation
import Streams

/// Runs a compressor on a thread of its own, so a layer's tar side (reading files, hashing
/// them, writing tar headers, hashing the tar) and its compression overlap on two cores
/// instead of taking turns on one. Bytes are handed over in large buffers from a small pool:
/// the writer fills one while the compressor works on another, nothing is copied twice, and
/// memory stays at the pool's size however large the layer. A failure on either side fails
/// the other (a full disk stops the tar side; a signal stops the compressor).
final class CompressionThread: ByteSink, @unchecked Sendable {
    private let compressor: CompressingSink
    private let condition = NSCondition()
    private var free: [UnsafeMutableRawBufferPointer]
    private var full: [(buffer: UnsafeMutableRawBufferPointer, count: Int)] = []
    private var filling: UnsafeMutableRawBufferPointer?
    private var fillCount = 0
    private var ended = false
    private var done = false
    private var failure: Error?
    private let all: [UnsafeMutableRawBufferPointer]

    init(_ compressor: CompressingSink, buffers: Int = 4, bufferSize: Int = 1 << 20) {
        self.compressor = compressor
        all = (0..<max(2, buffers)).map { _ in .allocate(byteCount: bufferSize, alignment: 16) }
        free = all
        let thread = Thread { [self] in run() }
        thread.name = "samforge-compress"
        thread.start()
    }

    deinit { all.forEach { $0.deallocate() } }

    /// Called by the tar side: copies into the current buffer, handing full ones over.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let buffer = try currentBuffer()
            let count = min(buffer.count - fillCount, bytes.count - offset)
            UnsafeMutableRawBufferPointer(rebasing: buffer[fillCount..<fillCount + count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
            fillCount += count
            offset += count
            if fillCount == buffer.count { try handOver() }
        }
    }

    /// The tar side is done: the compressor gets the rest and finishes; returns once it has,
    /// throwing its failure if it had one.
    func finish() throws {
        if filling != nil { try handOver() }
        condition.lock()
        ended = true
        condition.broadcast()
        while !done { pause() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    /// The tar side failed: the compressor stops at its next buffer; returns once its thread
    /// is out (the sinks it writes to are the caller's to close).
    func cancel(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        while !done { pause() }
        condition.unlock()
    }

    private func currentBuffer() throws -> UnsafeMutableRawBufferPointer {
        if let filling { return filling }
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty && failure == nil { pause() }
        if let failure { throw failure }
        let buffer = free.removeLast()
        filling = buffer
        fillCount = 0
        return buffer
    }

    private func handOver() throws {
        guard let buffer = filling else { return }
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        full.append((buffer, fillCount))
        filling = nil
        condition.broadcast()
    }

    /// Waits (lock held) for the other side, waking now and then: a signal becomes the failure
    /// both sides see, even if the other side hangs.
    private func pause() {
        _ = condition.wait(until: Date(timeIntervalSinceNow: 0.25))
        if failure == nil {
            do { try Interruption.check() } catch {
                failure = error
                condition.broadcast()
            }
        }
    }

    /// The compressor's loop: the next full buffer, compressed, given back; at the end, finish.
    private func run() {
        var error: Error?
        while error == nil {
            condition.lock()
            while full.isEmpty && !ended && failure == nil { pause() }
            if let failure {
                error = failure
                condition.unlock()
                break
            }
            guard !full.isEmpty else {
                condition.unlock()
                break
            }
            let (buffer, count) = full.removeFirst()
            condition.unlock()
            do { try compressor.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) } catch let failed { error = failed }
            condition.lock()
            free.append(buffer)
            condition.broadcast()
            condition.unlock()
        }
        if error == nil {
            do { try compressor.finish() } catch let failed { error = failed }
        }
        condition.lock()
        if let error, failure == nil { failure = error }
        done = true
        condition.broadcast()
        condition.unlock()
    }
}
