import Streams

/// A sink a retry may empty and fill again: what a transfer cut mid-body delivered is thrown
/// away, so `perform` can retry a GET whose body was partly received.
protocol RestartableSink: ByteSink {
    func restart()
}

/// A small response body (a manifest, a tag page, a token) collected in memory up to a limit.
final class DocumentSink: RestartableSink, @unchecked Sendable {
    private(set) var bytes: [UInt8] = []
    let limit: Int

    struct LimitExceeded: Error, CustomStringConvertible {
        let limit: Int
        var description: String { "response larger than \(limit) bytes" }
    }

    init(limit: Int) { self.limit = limit }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard bytes.count + chunk.count <= limit else { throw LimitExceeded(limit: limit) }
        bytes.append(contentsOf: chunk)
    }

    func restart() { bytes = [] }
}

/// Drops a body nobody reads (the `/v2/` ping's), and lets a retry start it again.
final class DiscardingRestartableSink: RestartableSink, @unchecked Sendable {
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
    func restart() {}
}
