import Foundation
import Streams

/// The compressor at the end of a layer being written: bytes in, compressed bytes to the next
/// sink; `finish()` writes what the format needs at the end (gzip's trailer, zstd's last block).
protocol CompressingSink: ByteSink {
    func finish() throws
}

extension GzipSink: CompressingSink {}

extension Compression {
    /// A compressor for this setting writing to `downstream`. `workers` (zstd only): threads
    /// libzstd may use; the output does not depend on it.
    func makeSink(forwardingTo downstream: ByteSink, workers: Int = ZstdSink.defaultWorkers) throws -> CompressingSink {
        switch algorithm {
        case .gzip: return try GzipSink(level: level, forwardingTo: downstream)
        case .zstd: return try ZstdSink(level: level, workers: workers, forwardingTo: downstream)
        }
    }
}
