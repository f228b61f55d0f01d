import CZstd
import Foundation
import Streams

/// Compresses what is written to it into one zstd frame for `downstream`, with libzstd's
/// multithreaded compressor: `workers` threads compress jobs of the stream side by side while
/// the caller keeps feeding it. With at least one worker the frame is the same bytes whatever
/// the number of workers and however the input is cut into writes (the job size depends on the
/// level only), so a layer's digest does not depend on the machine's cores. The frame carries
/// its content checksum and no content size (the stream's length is not known up front).
final class ZstdSink: CompressingSink, @unchecked Sendable {
    private let downstream: ByteSink
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer

    /// Every core, a few at most: beyond that the tar side, not zstd, is the limit.
    static let defaultWorkers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))

    init(level: Int32, workers: Int = ZstdSink.defaultWorkers, forwardingTo downstream: ByteSink) throws {
        guard let context = ZSTD_createCCtx() else { throw LayerError.zstd("cannot allocate a compression context") }
        self.context = context
        self.downstream = downstream
        output = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
        try set(ZSTD_c_compressionLevel, Int32(level))
        try set(ZSTD_c_checksumFlag, 1)
        // Single-threaded mode (0 workers) writes different bytes than any number of workers:
        // a libzstd without threads would make digests depend on the machine. Refused.
        guard ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(max(1, workers)))) == 0 else {
            throw LayerError.zstd("this libzstd was built without multithreading; its layers would not match other machines' (install Debian's libzstd1)")
        }
    }

    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    private func set(_ parameter: ZSTD_cParameter, _ value: Int32) throws {
        let status = ZSTD_CCtx_setParameter(context, parameter, value)
        if ZSTD_isError(status) != 0 { throw LayerError.zstd(String(cString: ZSTD_getErrorName(status))) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var input = ZSTD_inBuffer(src: base, size: bytes.count, pos: 0)
        while input.pos < input.size {
            _ = try compress(&input, ZSTD_e_continue)
        }
    }

    /// Ends the frame: waits for the workers and writes the last blocks and the checksum.
    func finish() throws {
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try compress(&input, ZSTD_e_end) != 0 {
            try Interruption.check()
        }
    }

    /// One call into libzstd, forwarding whatever it produced; returns what it still holds.
    private func compress(_ input: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective) throws -> Int {
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = ZSTD_compressStream2(context, &out, &input, mode)
        if ZSTD_isError(remaining) != 0 { throw LayerError.zstd(String(cString: ZSTD_getErrorName(remaining))) }
        if out.pos > 0 { try downstream.write(UnsafeRawBufferPointer(rebasing: output[0..<out.pos])) }
        return remaining
    }
}
