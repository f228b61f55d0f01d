/// Passes a blob of known size through and refuses the first byte past it: a source that goes
/// on (a registry body longer than the manifest says, or endless; a layout file grown past its
/// descriptor) fails at that byte instead of being read to its end, and nothing beyond the
/// size ever reaches `downstream`.
public final class SizeLimitedSink: ByteSink, @unchecked Sendable {
    private let downstream: ByteSink
    private let size: Int64
    private let exceeded: @Sendable () -> Error
    public private(set) var count: Int64 = 0

    /// `exceeded` makes the error thrown at the first byte past `size`.
    public init(_ downstream: ByteSink, size: Int64, exceeded: @escaping @Sendable () -> Error) {
        self.downstream = downstream
        self.size = size
        self.exceeded = exceeded
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        let room = size - count
        guard Int64(bytes.count) > room else {
            count += Int64(bytes.count)
            return try downstream.write(bytes)
        }
        // The blob's own last bytes still go through (a reader may want them); then the error.
        if room > 0 {
            count = size
            try downstream.write(UnsafeRawBufferPointer(rebasing: bytes[0..<Int(room)]))
        }
        throw exceeded()
    }
}
