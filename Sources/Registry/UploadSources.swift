import OCI
import Streams

/// Wraps an upload body: hashes and counts it, and fails the read that would deliver the last
/// byte if the digest or size is wrong, so a corrupt blob never reaches the registry's commit.
final class VerifyingSource: ByteSource, @unchecked Sendable {
    private let upstream: ByteSource
    /// nil when the producer verifies the digest before the last byte (`VerifiedBeforeEndSource`).
    private let hasher: SHA256Hasher?
    private let expected: Digest
    private let size: Int64
    private(set) var count: Int64 = 0

    init(_ upstream: ByteSource, expected: Digest, size: Int64, hashing: Bool = true) {
        self.upstream = upstream
        self.expected = expected
        self.size = size
        hasher = hashing ? SHA256Hasher() : nil
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let remaining = size - count
        if remaining <= 0 { return 0 }
        let window = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), remaining))])
        let n = try upstream.read(into: window)
        if n == 0 { throw RegistryError.sizeMismatch(what: "blob \(expected)", expected: size, actual: count) }
        hasher?.update(UnsafeRawBufferPointer(rebasing: window[0..<n]))
        count += Int64(n)
        if count == size, let hasher {
            let actual = hasher.finalize()
            guard actual == expected else { throw RegistryError.digestMismatch(what: "blob being uploaded", expected: expected, actual: actual) }
        }
        return n
    }
}

/// A `VerifyingSource` over a rewindable source: rewinding starts the count and the hash over,
/// so libcurl (through its seek callback) or a retry can send the body again.
final class RewindableVerifyingSource: RewindableSource, @unchecked Sendable {
    private let upstream: RewindableSource
    private let expected: Digest
    private let size: Int64
    private let hashing: Bool
    private var current: VerifyingSource

    init(_ upstream: RewindableSource, expected: Digest, size: Int64, hashing: Bool = true) {
        self.upstream = upstream
        self.expected = expected
        self.size = size
        self.hashing = hashing
        current = VerifyingSource(upstream, expected: expected, size: size, hashing: hashing)
    }

    var length: Int64? { size }

    func rewind() throws {
        try upstream.rewind()
        current = VerifyingSource(upstream, expected: expected, size: size, hashing: hashing)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try current.read(into: buffer) }
}

/// A window of a rewindable source, read by skipping (files seek; others are re-read).
enum FileSourceSlicer {
    static func slice(_ source: RewindableSource, offset: Int64, length: Int64) throws -> RewindableSource {
        if let file = source as? FileSource { return try FileSource(path: file.path, offset: offset, length: length) }
        return try SkippingSource(source, offset: offset, length: length)
    }
}

final class SkippingSource: RewindableSource, @unchecked Sendable {
    private let upstream: RewindableSource
    private let offset: Int64
    let length: Int64?
    private var position: Int64 = 0

    init(_ upstream: RewindableSource, offset: Int64, length: Int64) throws {
        self.upstream = upstream
        self.offset = offset
        self.length = length
        try rewind()
    }

    func rewind() throws {
        try upstream.rewind()
        position = 0
        var toSkip = offset
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        while toSkip > 0 {
            let n = try scratch.withUnsafeMutableBytes { try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Int(min(Int64($0.count), toSkip))])) }
            if n == 0 { break }
            toSkip -= Int64(n)
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let remaining = (length ?? .max) - position
        guard remaining > 0 else { return 0 }
        let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), remaining))]))
        position += Int64(n)
        return n
    }
}
