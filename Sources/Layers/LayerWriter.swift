import Foundation
import OCI
import Streams

/// Builds a reproducible gzip tar layer in one pass:
/// libarchive (PAX tar) → sha256 (diff_id) → zlib (gzip) → sha256 + count (digest, size) → cache.
/// Nothing is held whole in memory and nothing is re-read: both digests are known when the
/// last byte lands in the cache. Same specs and settings → byte-identical blob.
public struct LayerWriter: Sendable {
    /// Written as every entry's mtime (SOURCE_DATE_EPOCH or 0); no atime or ctime is written.
    public let mtime: Int64
    public let compressionLevel: Int32
    private var specs: LayerPlan.Specs = [:]
    /// Called on the writing thread as file content goes in (bytes so far, bytes in all), so
    /// long local work (compressing a large file) can show progress; nil by default.
    public var onProgress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)?

    public init(mtime: Int64 = 0, compressionLevel: Int32 = 6) {
        self.mtime = mtime
        self.compressionLevel = compressionLevel
    }

    public var isEmpty: Bool { specs.isEmpty }

    /// Adds an entry; a later entry for the same path replaces an earlier one.
    public mutating func add(_ spec: LayerEntrySpec) throws {
        var spec = spec
        let path = try LayerPath.normalize(spec.path)
        guard spec.uid >= 0, spec.gid >= 0 else {
            throw LayerError.invalidPath(spec.path, reason: "negative uid or gid")
        }
        switch spec.content {
        case .hardlink(let target): spec.content = .hardlink(target: try LayerPath.normalize(target))
        case .symlink(let target) where target.isEmpty || target.utf8.contains(0):
            throw LayerError.invalidPath(spec.path, reason: "symlink target must be non-empty and without NUL")
        case .symlink(let target): try LayerPath.checkLimits(raw: target, normalized: nil)
        default: break
        }
        spec.path = path
        specs[PathKey(path)] = (path, spec)
    }

    /// Writes the layer into `cache` and returns its digests. The blob appears in the cache only
    /// complete; on failure the temporary file is removed.
    public func write(into cache: BlobCache) throws -> WrittenLayer {
        let temporary = cache.makeTemporaryPath()
        do {
            let file = try FileSink(path: temporary)
            let (diffID, digest, size, files) = try writeListing(to: file)
            try file.close()
            try cache.commit(temporaryPath: temporary, digest: digest)
            return WrittenLayer(digest: digest, diffID: diffID, size: size, path: cache.path(for: digest), files: files)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Streams the gzip blob to any sink (a file, an upload), returning (diff_id, digest, size).
    public func write(to sink: ByteSink) throws -> (diffID: Digest, digest: Digest, size: Int64) {
        let written = try writeListing(to: sink)
        return (written.diffID, written.digest, written.size)
    }

    /// Writes the blob and lists its regular files with their hashes, taken in the same pass
    /// (what an SBOM lists): hard-linked names share their file's hashes.
    func writeListing(to sink: ByteSink) throws -> (diffID: Digest, digest: Digest, size: Int64, files: [WrittenFile]) {
        let plan = try LayerPlan(specs: specs)
        let blob = HashingSink(forwardingTo: sink)
        let gzip = try GzipSink(level: compressionLevel, forwardingTo: blob)
        let tar = HashingSink(forwardingTo: gzip)
        let archive = try TarArchiveWriter(sink: tar)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        var files: [WrittenFile] = []
        var byPath: [PathKey: WrittenFile] = [:]
        let progress = onProgress.map { ContentProgress(report: $0, total: Self.contentSize(plan.entries.map { $0.spec })) }
        for (path, spec) in plan.entries {
            try Interruption.check()
            if let file = try write(path: path, spec: spec, to: archive, buffer: buffer, progress: progress) {
                files.append(file)
                byPath[PathKey(path)] = file
            } else if case .hardlink(let target) = spec.content, let file = byPath[PathKey(target)] {
                files.append(WrittenFile(path: "/" + path, sha256: file.sha256, sha1: file.sha1, size: file.size))
            }
        }
        try archive.close()
        try gzip.finish()
        return (tar.finalize(), blob.finalize(), blob.count, files)
    }

    /// Writes one entry; a regular file's hashes come back.
    private func write(path: String, spec: LayerEntrySpec, to archive: TarArchiveWriter,
                       buffer: UnsafeMutableRawBufferPointer, progress: ContentProgress?) throws -> WrittenFile? {
        var header = TarArchiveWriter.Header(name: path, fileType: TarArchiveWriter.regularFile,
                                             permissions: spec.mode, uid: spec.uid, gid: spec.gid, mtime: mtime)
        switch spec.content {
        case .directory:
            header.name += "/"
            header.fileType = TarArchiveWriter.directory
            try archive.writeHeader(header)
        case .symlink(let target):
            header.fileType = TarArchiveWriter.symbolicLink
            header.symlink = target
            try archive.writeHeader(header)
        case .hardlink(let target):
            header.hardlink = target
            try archive.writeHeader(header)
        case .bytes(let bytes):
            header.size = Int64(bytes.count)
            try archive.writeHeader(header)
            let hashes = FileHashes()
            try bytes.withUnsafeBytes { chunk in
                hashes.update(chunk)
                try archive.writeData(chunk)
            }
            progress?.add(bytes.count)
            return hashes.file(at: "/" + path, size: header.size)
        case .file(let localPath):
            let source = try LocalFile.open(localPath)
            header.size = source.length ?? 0
            try archive.writeHeader(header)
            var total: Int64 = 0
            let hashes = FileHashes()
            while true {
                // A signal stops a 1 GiB file within a buffer, not after it (SIGTERM's grace
                // period is short); the caller removes the partial blob.
                try Interruption.check()
                let count = try source.read(into: buffer)
                if count == 0 { break }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                hashes.update(chunk)
                try archive.writeData(chunk)
                total += Int64(count)
                progress?.add(count)
            }
            // A shorter read would leave libarchive padding the entry with zeros: a corrupt layer.
            guard total == header.size else { throw LayerError.sourceChanged(localPath) }
            return hashes.file(at: "/" + path, size: total)
        }
        return nil
    }
}

extension LayerWriter {
    /// The bytes of content the entries hold (local files as they are now).
    static func contentSize(_ specs: [LayerEntrySpec]) -> Int64 {
        specs.reduce(0) { sum, spec in
            switch spec.content {
            case .bytes(let bytes): return sum + Int64(bytes.count)
            case .file(let path):
                var info = stat()
                return sum + (stat(path, &info) == 0 ? Int64(info.st_size) : 0)
            default: return sum
            }
        }
    }
}

/// Counts content written for `LayerWriter.onProgress`; used by the writing thread only.
final class ContentProgress: @unchecked Sendable {
    let report: @Sendable (Int64, Int64) -> Void
    let total: Int64
    private var done: Int64 = 0

    init(report: @escaping @Sendable (Int64, Int64) -> Void, total: Int64) {
        self.report = report
        self.total = total
    }

    func add(_ count: Int) {
        done += Int64(count)
        report(done, max(total, done))
    }
}

/// Opens local files for archiving, refusing what is not a regular file (a directory would
/// otherwise be "read" as its st_size in garbage).
enum LocalFile {
    static func open(_ path: String) throws -> FileSource {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw LayerError.io("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw LayerError.io("cannot read \(path): not a regular file") }
        return try FileSource(path: path)
    }
}
