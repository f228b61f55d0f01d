import Foundation
import Testing
import OCI
@testable import Streams

@Suite("Sinks and sources")
struct ByteStreamTests {
    @Test("CollectingSink limit", arguments: [(0, 0, true), (10, 10, true), (10, 11, false), (10, 9, true), (0, 1, false), (1 << 20, (1 << 20) + 1, false)])
    func collectingLimit(limit: Int, size: Int, fits: Bool) throws {
        let data = pseudoRandomBytes(count: size, seed: UInt64(size))
        let sink = CollectingSink(limit: limit)
        do {
            try MemorySource(data).pump(to: sink, bufferSize: 3)
            #expect(fits)
            #expect(sink.bytes == data)
        } catch let error as CollectingSink.LimitExceeded {
            #expect(!fits)
            #expect(error.limit == limit)
            #expect(error.description.contains("\(limit)"))
            #expect(sink.bytes.count <= limit)
        }
    }

    @Test func readAllHonoursTheLimit() throws {
        let data = pseudoRandomBytes(count: 5000, seed: 1)
        #expect(try MemorySource(data).readAll(limit: 5000) == data)
        #expect(throws: CollectingSink.LimitExceeded.self) { try MemorySource(data).readAll(limit: 4999) }
        #expect(try MemorySource([]).readAll(limit: 0) == [])
    }

    @Test("HashingSink", arguments: [0, 1, 3, 64, 1000, 1 << 20])
    func hashingSink(size: Int) throws {
        let data = pseudoRandomBytes(count: size, seed: 5)
        let downstream = CollectingSink(limit: size)
        let sink = HashingSink(forwardingTo: downstream)
        let copied = try MemorySource(data).pump(to: sink, bufferSize: 777)
        #expect(copied == Int64(size))
        #expect(sink.count == Int64(size))
        #expect(sink.finalize() == Digest.of(data))
        #expect(sink.finalize() == Digest.of(data), "finalize is idempotent")
        #expect(downstream.bytes == data)

        let alone = HashingSink()
        try alone.write(data)
        #expect(alone.finalize() == Digest.of(data))
    }

    @Test func hashingSinkCountsOnlyWhatTheDownstreamAccepted() throws {
        let sink = HashingSink(forwardingTo: CollectingSink(limit: 4))
        try sink.write([1, 2, 3])
        #expect(throws: CollectingSink.LimitExceeded.self) { try sink.write([4, 5]) }
        // Whatever the count says, the caller must not trust a digest after a failed write.
        #expect(sink.count >= 3)
    }

    @Test func knownDigestsThroughHashingStreams() throws {
        let sink = HashingSink()
        try sink.write(Array("abc".utf8))
        #expect(sink.finalize().hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let source = HashingSource(MemorySource([]))
        #expect(try source.drain(bufferSize: 8) == [])
        #expect(source.finalize().hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(source.count == 0)
    }

    @Test("HashingSource", arguments: [1, 2, 4096, 100_000])
    func hashingSource(bufferSize: Int) throws {
        let data = pseudoRandomBytes(count: 100_003, seed: 9)
        let source = HashingSource(MemorySource(data))
        #expect(try source.drain(bufferSize: bufferSize) == data)
        #expect(source.count == Int64(data.count))
        #expect(source.finalize() == Digest.of(data))
    }

    @Test func memorySourceRewinds() throws {
        let data = Array("hello, world".utf8)
        let source = MemorySource(data)
        #expect(source.length == Int64(data.count))
        #expect(try source.drain(bufferSize: 5) == data)
        #expect(try source.drain(bufferSize: 5) == [])
        source.rewind()
        #expect(try source.drain(bufferSize: 100) == data)
        let rewindable: any RewindableSource = source
        try rewindable.rewind()
        #expect(try rewindable.readAll(limit: 100) == data)
    }

    @Test func pumpCountsAndDiscards() throws {
        let data = pseudoRandomBytes(count: 12345, seed: 2)
        #expect(try MemorySource(data).pump(to: DiscardingSink(), bufferSize: 100) == 12345)
        #expect(try MemorySource([]).pump(to: DiscardingSink()) == 0)
    }

    @Test func pumpStopsAtTheFirstSinkError() throws {
        final class FailingSink: ByteSink, @unchecked Sendable {
            var writes = 0
            func write(_ bytes: UnsafeRawBufferPointer) throws {
                writes += 1
                if writes == 2 { throw TestFailure(name: "disk full") }
            }
        }
        let sink = FailingSink()
        #expect(throws: TestFailure(name: "disk full")) { try MemorySource([UInt8](repeating: 0, count: 1000)).pump(to: sink, bufferSize: 100) }
        #expect(sink.writes == 2)
    }

    @Test func streamErrorDescriptions() {
        #expect(StreamError.closed.description == "stream closed")
        #expect(StreamError.io("cannot read x").description == "cannot read x")
    }
}
