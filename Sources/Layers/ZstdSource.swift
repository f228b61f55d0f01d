import CZstd
import Streams

/// Decompresses a zstd stream read from `upstream` with libzstd (in process, no program), so
/// the layer reader can hash the uncompressed bytes (the diff_id) before its tar parser sees
/// them. Frames follow each other as one stream (skippable frames are skipped); libzstd checks
/// each frame's checksum when it has one, and the whole diff_id is checked at the end in any
/// case. A stream cut short, or anything after the last frame that is not a frame, is an error.
/// Memory: one input buffer and a window of at most 128 MiB (libzstd's streaming limit), so a
/// hostile frame cannot ask for more.
final class ZstdSource: DecodingSource, @unchecked Sendable {
    private let upstream: ByteSource
    private let context: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var buffer: ZSTD_inBuffer
    private var upstreamEnded = false
    /// libzstd's hint after the last call: 0 when a frame has just ended.
    private var frameEnded = true
    var failure: Error?

    init(_ upstream: ByteSource, bufferSize: Int = ZSTD_DStreamInSize()) throws {
        guard let context = ZSTD_createDCtx() else { throw LayerError.decompression("zstd: cannot allocate a decompression context") }
        self.upstream = upstream
        self.context = context
        input = .allocate(byteCount: max(bufferSize, 16), alignment: 16)
        buffer = ZSTD_inBuffer(src: input.baseAddress, size: 0, pos: 0)
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 27)
    }

    deinit {
        ZSTD_freeDCtx(context)
        input.deallocate()
    }

    func decode(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = target.baseAddress, target.count > 0 else { return 0 }
        while true {
            if buffer.pos == buffer.size, !upstreamEnded {
                let count = try upstream.read(into: input)
                buffer = ZSTD_inBuffer(src: input.baseAddress, size: count, pos: 0)
                upstreamEnded = count == 0
            }
            if buffer.pos == buffer.size, upstreamEnded {
                guard frameEnded else { throw LayerError.decompression("zstd: the stream is cut short (its last frame is incomplete)") }
                return 0
            }
            var output = ZSTD_outBuffer(dst: base, size: target.count, pos: 0)
            let hint = ZSTD_decompressStream(context, &output, &buffer)
            if ZSTD_isError(hint) != 0 {
                throw LayerError.decompression("zstd: \(String(cString: ZSTD_getErrorName(hint)))")
            }
            frameEnded = hint == 0
            if output.pos > 0 { return output.pos }
        }
    }
}
