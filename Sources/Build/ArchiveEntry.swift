import Foundation
import Layers
import Streams

/// One entry out of a (gzip) tar, e.g. `docker/docker` of the static docker-26.0.1.tgz.
enum ArchiveEntry {
    /// A gzip stream or a ustar archive; anything else is taken as the file itself.
    static func isArchive(_ path: String) async throws -> Bool {
        try await BlockingWork.run {
            let source = try FileSource(path: path)
            guard let length = source.length, length >= 2 else { return false }
            let head = try source.prefix(Int(min(length, 512)))
            if head.count >= 2, head[0] == 0x1f, head[1] == 0x8b { return true }
            return head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
        }
    }

    /// Streams `entry` of the archive at `path` to `destination`.
    static func unpack(_ path: String, entry wanted: String, to destination: String, name: String) async throws -> String {
        try await BlockingWork.run {
            let reader = try LayerReader(source: try FileSource(path: path))
            while let entry = try reader.next() {
                guard entry.path == wanted else { continue }
                guard entry.kind == .file else { throw BuildError.notARegularFile(source: name, path: wanted) }
                let sink = try FileSink(path: destination)
                try reader.readData(into: sink)
                try sink.close()
                return destination
            }
            throw BuildError.missingArchiveEntry(archive: name, entry: wanted)
        }
    }
}

private extension FileSource {
    /// The first `count` bytes (fewer for a shorter file).
    func prefix(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try bytes.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 { break }
            filled += n
        }
        return Array(bytes[0..<filled])
    }
}
