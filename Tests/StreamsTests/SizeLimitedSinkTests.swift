import Streams
import Testing

@Suite struct SizeLimitedSinkTests {
    struct TooLong: Error, Equatable {}

    /// Bytes up to the size pass (also when the chunk that crosses it is split); the first byte
    /// past it throws, and nothing after the size reaches downstream.
    @Test(arguments: [1, 3, 7, 10, 64])
    func stopsAtTheSize(chunk: Int) throws {
        let collected = CollectingSink(limit: 1 << 10)
        let sink = SizeLimitedSink(collected, size: 10) { TooLong() }
        let bytes = (0..<64).map { UInt8($0) }
        #expect(throws: TooLong.self) {
            for start in stride(from: 0, to: bytes.count, by: chunk) {
                try bytes[start..<min(bytes.count, start + chunk)].withUnsafeBytes { try sink.write($0) }
            }
        }
        #expect(collected.bytes == Array(bytes[0..<10]))
        #expect(sink.count == 10)
    }

    @Test func exactlyTheSizeIsFine() throws {
        let collected = CollectingSink(limit: 1 << 10)
        let sink = SizeLimitedSink(collected, size: 4) { TooLong() }
        try [UInt8](repeating: 1, count: 4).withUnsafeBytes { try sink.write($0) }
        try [UInt8]().withUnsafeBytes { try sink.write($0) }
        #expect(collected.bytes.count == 4)
        #expect(throws: TooLong.self) { try [UInt8(0)].withUnsafeBytes { try sink.write($0) } }
    }
}
