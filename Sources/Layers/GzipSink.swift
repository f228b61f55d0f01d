import CZlib
import Streams

/// Deflates what is written to it into a gzip stream for `downstream`, a buffer at a time.
/// The gzip header is pinned (mtime 0, OS 255 "unknown", no name, no extra) so the same input
/// compresses to the same bytes on every machine; zlib would otherwise stamp its build's OS code.
final class GzipSink: ByteSink, @unchecked Sendable {
    private let downstream: ByteSink
    private let stream: UnsafeMutablePointer<z_stream>
    /// zlib keeps a pointer to the header until it has been emitted: it must outlive the stream.
    private let header: UnsafeMutablePointer<gz_header>
    private let output: UnsafeMutableRawBufferPointer
    private var initialized = false

    init(level: Int32, forwardingTo downstream: ByteSink, bufferSize: Int = 256 * 1024) throws {
        self.downstream = downstream
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        header = .allocate(capacity: 1)
        header.initialize(to: gz_header())
        output = .allocate(byteCount: bufferSize, alignment: 16)
        guard (-1...9).contains(level) else { throw LayerError.compression("invalid compression level \(level) (expected 0-9)") }
        header.pointee.time = 0
        header.pointee.os = 255
        // windowBits 15 + 16 selects the gzip wrapper; memLevel 8 is zlib's default.
        let status = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw LayerError.compression("cannot initialize zlib (status \(status))") }
        initialized = true
        guard deflateSetHeader(stream, header) == Z_OK else { throw LayerError.compression("cannot set the gzip header") }
    }

    deinit {
        if initialized { deflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        header.deinitialize(count: 1)
        header.deallocate()
        output.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        // avail_in is 32-bit: feed very large buffers in slices.
        while offset < bytes.count {
            let count = min(bytes.count - offset, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(count)
            try deflateAvailable(flush: Z_NO_FLUSH)
            offset += count
        }
    }

    /// Flushes the rest of the stream and the gzip trailer (CRC-32 and length).
    func finish() throws {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try deflateAvailable(flush: Z_FINISH)
    }

    /// Runs deflate until it has consumed all input (or, finishing, written the trailer),
    /// forwarding each full output buffer: zlib's documented loop.
    private func deflateAvailable(flush: Int32) throws {
        while true {
            stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let status = deflate(stream, flush)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw LayerError.compression("deflate failed (status \(status))")
            }
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try downstream.write(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            if status == Z_BUF_ERROR && produced == 0 && flush == Z_FINISH {
                throw LayerError.compression("deflate made no progress while finishing")
            }
            if flush == Z_FINISH ? status == Z_STREAM_END : stream.pointee.avail_out != 0 { return }
        }
    }
}
