import CZlib
import Streams

/// Decompresses a gzip stream read from `upstream`, verifying what libarchive's gzip filter
/// does not (its trailer check is a "TODO"): each member's CRC-32 and ISIZE (zlib checks both
/// with the gzip wrapper), a member cut short, and what follows the last member. Several
/// members in a row are one stream (RFC 1952 2.2; GNU gzip, Python and Go read them all);
/// anything else after a member (garbage, zero padding) is refused, as Go's reader (Docker,
/// containerd) refuses it. Memory: zlib's 32 KiB window and one input buffer.
final class GunzipSource: DecodingSource, @unchecked Sendable {
    private enum State { case inMember, betweenMembers, finished }

    private let upstream: ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var state = State.inMember
    private var initialized = false
    /// The last inflate filled the caller's buffer: zlib may hold more output without new input.
    private var outputPending = false
    /// Members fully read so far (for messages).
    private(set) var members = 0

    init(_ upstream: ByteSource, bufferSize: Int = 64 * 1024) throws {
        self.upstream = upstream
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: max(bufferSize, 16), alignment: 16)
        // windowBits 15 + 16: a gzip wrapper, whose header and trailer zlib checks itself.
        let status = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw LayerError.decompression("cannot initialize zlib (status \(status))") }
        initialized = true
    }

    deinit {
        if initialized { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    var failure: Error?

    func decode(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            switch state {
            case .finished:
                return 0
            case .betweenMembers:
                // Only another member may follow: its magic, or the end of the blob.
                guard try fill(atLeast: 2) else {
                    if stream.pointee.avail_in == 0 { state = .finished; return 0 }
                    throw LayerError.decompression("trailing data after the gzip stream (1 byte after member \(members))")
                }
                guard let next = stream.pointee.next_in, next[0] == 0x1F, next[1] == 0x8B else {
                    throw LayerError.decompression("trailing data after the gzip stream (not a gzip member, after member \(members))")
                }
                inflateReset(stream)
                outputPending = false
                state = .inMember
            case .inMember:
                if stream.pointee.avail_in == 0, !outputPending, try !fill(atLeast: 1) {
                    throw LayerError.decompression("unexpected end of the gzip stream (member \(members + 1) is cut short)")
                }
                stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
                let status = inflate(stream, Z_NO_FLUSH)
                let produced = min(buffer.count, Int(UInt32.max)) - Int(stream.pointee.avail_out)
                outputPending = stream.pointee.avail_out == 0
                switch status {
                case Z_OK, Z_BUF_ERROR:
                    break
                case Z_STREAM_END:
                    members += 1
                    state = .betweenMembers
                default:
                    throw LayerError.decompression(Self.describe(status, stream.pointee.msg))
                }
                if produced > 0 { return produced }
            }
        }
    }

    /// Makes at least `count` input bytes available (moving leftovers to the front first);
    /// false when the upstream ended before that.
    private func fill(atLeast count: Int) throws -> Bool {
        var available = Int(stream.pointee.avail_in)
        if available >= count { return true }
        if available > 0, let next = stream.pointee.next_in {
            input.baseAddress?.copyMemory(from: next, byteCount: available)
        }
        while available < count {
            let read = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: input[available...]))
            if read == 0 { break }
            available += read
        }
        stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(available)
        return available >= count
    }

    /// zlib's messages for a bad trailer, in the terms of the gzip format.
    static func describe(_ status: Int32, _ message: UnsafePointer<CChar>?) -> String {
        let text = message.map { String(cString: $0) } ?? "status \(status)"
        switch text {
        case "incorrect data check": return "the gzip CRC-32 does not match the data"
        case "incorrect length check": return "the gzip length (ISIZE) does not match the data"
        case "incorrect header check": return "not a gzip stream (bad header)"
        default: return "corrupt gzip stream: \(text)"
        }
    }
}
