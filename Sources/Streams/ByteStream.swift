import Foundation
import OCI

/// A blocking pull stream of bytes. `read` returns 0 at the end. Blobs flow through these,
/// a buffer at a time, so no blob is ever held whole in memory.
public protocol ByteSource: AnyObject, Sendable {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A source that can start over, so a failed upload can be retried.
public protocol RewindableSource: ByteSource {
    func rewind() throws
    /// Total length when known up front (files), for Content-Length.
    var length: Int64? { get }
}

/// A blocking push stream of bytes.
public protocol ByteSink: AnyObject, Sendable {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

public enum StreamError: Error, CustomStringConvertible {
    case closed
    case io(String)
    public var description: String {
        switch self {
        case .closed: return "stream closed"
        case .io(let detail): return detail
        }
    }
}

public extension ByteSource {
    /// Copies everything to `sink`, a buffer at a time. Returns the byte count.
    @discardableResult
    func pump(to sink: ByteSink, bufferSize: Int = 256 * 1024) throws -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            try Interruption.check()
            let count = try read(into: buffer)
            if count == 0 { return total }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
        }
    }

    /// Reads everything, refusing more than `limit` bytes (for manifests and configs).
    func readAll(limit: Int) throws -> [UInt8] {
        let collector = CollectingSink(limit: limit)
        try pump(to: collector)
        return collector.bytes
    }
}

/// Collects bytes in memory up to a limit: only for small documents (manifests, configs, tokens).
public final class CollectingSink: ByteSink, @unchecked Sendable {
    public private(set) var bytes: [UInt8] = []
    private let limit: Int
    public struct LimitExceeded: Error, CustomStringConvertible {
        public let limit: Int
        public var description: String { "response larger than \(limit) bytes" }
    }
    public init(limit: Int) { self.limit = limit }
    public func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard bytes.count + chunk.count <= limit else { throw LimitExceeded(limit: limit) }
        bytes.append(contentsOf: chunk)
    }
}

/// Discards bytes (a HEAD-like GET, a drained error body).
public final class DiscardingSink: ByteSink, @unchecked Sendable {
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws {}
}

/// Hashes and counts what passes through on its way to another sink.
public final class HashingSink: ByteSink, @unchecked Sendable {
    private let hasher = SHA256Hasher()
    private let downstream: ByteSink?
    public private(set) var count: Int64 = 0
    public init(forwardingTo downstream: ByteSink? = nil) { self.downstream = downstream }
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        count += Int64(bytes.count)
        try downstream?.write(bytes)
    }
    public func finalize() -> Digest { hasher.finalize() }
}

/// Hashes and counts what is read through it.
public final class HashingSource: ByteSource, @unchecked Sendable {
    private let hasher = SHA256Hasher()
    private let upstream: ByteSource
    public private(set) var count: Int64 = 0
    public init(_ upstream: ByteSource) { self.upstream = upstream }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try upstream.read(into: buffer)
        if n > 0 {
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            count += Int64(n)
        }
        return n
    }
    public func finalize() -> Digest { hasher.finalize() }
}

/// Bytes already in memory (small bodies: manifests, configs, token requests).
public final class MemorySource: RewindableSource, @unchecked Sendable {
    private let bytes: [UInt8]
    private var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var length: Int64? { Int64(bytes.count) }
    public func rewind() { offset = 0 }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
        offset += n
        return n
    }
}

/// Passes bytes through and reports each write's size (progress meters).
public final class ObservingSink: ByteSink, @unchecked Sendable {
    private let downstream: ByteSink
    private let onWrite: @Sendable (Int) -> Void

    public init(_ downstream: ByteSink, onWrite: @escaping @Sendable (Int) -> Void) {
        self.downstream = downstream
        self.onWrite = onWrite
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try downstream.write(bytes)
        onWrite(bytes.count)
    }
}

/// Passes a blob of known size through but keeps its last byte until `release()`: called once
/// the producer has verified the digest, so a corrupt blob never reaches its end downstream
/// (an upload never completes, a registry never commits it), and the consumer that sees the end
/// has seen verified bytes and need not hash them again (`putBlob(verifiedBeforeEnd:)`).
public final class FinalByteHoldback: ByteSink, @unchecked Sendable {
    private let downstream: ByteSink
    private let size: Int64
    private var count: Int64 = 0
    private var held: [UInt8] = []
    private let what: String

    /// `what` names the blob in the error a stream longer than `size` gets.
    public init(_ downstream: ByteSink, size: Int64, what: String = "stream") {
        self.downstream = downstream
        self.size = size
        self.what = what
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        let start = count
        count += Int64(bytes.count)
        guard count >= size else { return try downstream.write(bytes) }
        // From the blob's last byte on (and anything a longer stream sends after it), hold.
        let passing = Int(max(0, min(Int64(bytes.count), size - 1 - start)))
        if passing > 0 { try downstream.write(UnsafeRawBufferPointer(rebasing: bytes[0..<passing])) }
        held.append(contentsOf: bytes[passing...])
        guard held.count <= Self.heldLimit else {
            throw StreamError.io("\(what) is longer than its \(size) bytes")
        }
    }

    /// Beyond the last byte, a stream has no business sending more than this.
    static let heldLimit = 1 << 20

    /// Delivers the held byte(s) (after the producer's digest check passed).
    public func release() throws {
        guard !held.isEmpty else { return }
        try held.withUnsafeBytes { try downstream.write($0) }
        held = []
    }
}
