import CArchive
import Streams

/// Feeding libarchive from a `ByteSource`: the read callback, a reusable buffer, and the first
/// error the source threw (so it propagates unchanged instead of as libarchive's message).
enum ArchiveInput {
    static func open(_ archive: OpaquePointer, _ context: SourceContext) -> Int32 {
        let client = Unmanaged.passUnretained(context).toOpaque()
        return archive_read_open(archive, client, nil, { _, client, buffer in
            guard let client, let buffer else { return -1 }
            let context = Unmanaged<SourceContext>.fromOpaque(client).takeUnretainedValue()
            do {
                // Every buffer libarchive parses, skips or decompresses passes here: a signal
                // stops a layer being read within one buffer, whatever the source.
                try Interruption.check()
                let count = try context.source.read(into: context.buffer)
                buffer.pointee = UnsafeRawPointer(context.buffer.baseAddress)
                return count
            } catch {
                context.error = error
                return -1
            }
        }, nil)
    }
}

/// A source whose first bytes were read ahead (to tell the compression) and are served again.
final class PeekedSource: ByteSource, @unchecked Sendable {
    private let upstream: ByteSource
    private(set) var prefix: [UInt8] = []
    private var served = 0

    init(_ upstream: ByteSource, count: Int) throws {
        self.upstream = upstream
        var buffer = [UInt8](repeating: 0, count: count)
        while prefix.count < count {
            let read = try buffer.withUnsafeMutableBytes { try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(count - prefix.count)])) }
            if read == 0 { break }
            prefix += buffer[0..<read]
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard served < prefix.count else { return try upstream.read(into: buffer) }
        let count = min(buffer.count, prefix.count - served)
        prefix.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[served..<served + count])) }
        served += count
        return count
    }
}

/// The callback's view of the source: a reusable read buffer and the first error thrown.
final class SourceContext {
    let source: ByteSource
    let buffer: UnsafeMutableRawBufferPointer
    var error: Error?
    init(source: ByteSource, bufferSize: Int) {
        self.source = source
        buffer = .allocate(byteCount: max(bufferSize, 4096), alignment: 16)
    }
    deinit { buffer.deallocate() }
}
