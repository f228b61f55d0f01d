import Foundation
import Testing
@testable import Streams

/// FinalByteHoldback: everything but a blob's last byte flows at once; the rest waits for
/// `release()` (the producer's digest check), whatever the chunking.
@Suite("Final byte holdback")
struct HoldbackTests {
    @Test("the last byte waits for release, whatever the chunk size", arguments: [1, 3, 7, 64, 1000, 5000])
    func lastByteWaits(chunk: Int) throws {
        let data = pseudoRandomBytes(count: 1000, seed: 9)
        let collected = CollectingSink(limit: 2000)
        let holdback = FinalByteHoldback(collected, size: 1000)
        try MemorySource(data).pump(to: holdback, bufferSize: chunk)
        #expect(collected.bytes == Array(data.dropLast()))
        try holdback.release()
        #expect(collected.bytes == data)
        try holdback.release()  // nothing more
        #expect(collected.bytes == data)
    }

    @Test func emptyBlobPassesNothing() throws {
        let collected = CollectingSink(limit: 10)
        let holdback = FinalByteHoldback(collected, size: 0)
        try holdback.release()
        #expect(collected.bytes.isEmpty)
    }

    @Test func aLongerStreamIsHeldAndThenRefused() throws {
        let collected = CollectingSink(limit: 4 << 20)
        let holdback = FinalByteHoldback(collected, size: 10)
        let data = pseudoRandomBytes(count: (1 << 20) + 100, seed: 3)
        #expect(throws: StreamError.self) { try MemorySource(data).pump(to: holdback, bufferSize: 4096) }
        // Nothing past the ninth byte got through.
        #expect(collected.bytes == Array(data.prefix(9)))
    }
}
