import Foundation
import OCI
import Streams

/// Builds a reproducible tar layer in one pass, on two threads:
/// libarchive (PAX tar) → sha256 (diff_id) ⇒ compressor thread (gzip or zstd) → sha256 + count
/// (digest, size) → cache. Nothing is held whole in memory and nothing is re-read: both digests
/// are known when the last byte lands in the cache. Same specs and settings → byte-identical
/// blob, whatever the machine's cores.
public struct LayerWriter: Sendable {
    /// Written as every entry's mtime (SOURCE_DATE_EPOCH or 0); no atime or ctime is written.
    public let mtime: Int64
    public let compression: Compression
    /// The gzip level (tests pick levels outside `Compression`'s range to see them refused).
    let gzipLevel: Int32?
    /// Threads libzstd may use (the bytes do not depend on it).
    var zstdWorkers = ZstdSink.defaultWorkers
    /// Normalized specs in the order added; the plan keeps the last one of each path.
    private var specs: [LayerEntrySpec] = []
    /// Called on the writing thread as file content goes in (bytes so far, bytes in all), so
    /// long local work (compressing a large file) can show progress; nil by default.
    public var onProgress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)?

    public init(mtime: Int64 = 0, compression: Compression = .gzip) {
        self.mtime = mtime
        self.compression = compression
        gzipLevel = nil
    }

    /// A gzip layer at `compressionLevel` (checked when the layer is written).
    public init(mtime: Int64 = 0, compressionLevel: Int32) {
        self.mtime = mtime
        compression = .gzip
        gzipLevel = compressionLevel
    }

    public var isEmpty: Bool { specs.isEmpty }

    /// Adds an entry; a later entry for the same path replaces an earlier one.
    public mutating func add(_ spec: LayerEntrySpec) throws {
        specs.append(try Self.checked(spec))
    }

    /// The spec with its paths normalized, refused when it cannot be written.
    private static func checked(_ spec: LayerEntrySpec) throws -> LayerEntrySpec {
        var spec = spec
        spec.path = try LayerPath.normalize(spec.path)
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
        return spec
    }

    /// Adds entries in order (see `add`); the list is taken over rather than copied when the
    /// writer has none yet (a copy of 100,000 entries is kept once).
    public mutating func add(contentsOf specs: consuming [LayerEntrySpec]) throws {
        var specs = specs
        for index in specs.indices { specs[index] = try Self.checked(specs[index]) }
        if self.specs.isEmpty { self.specs = specs } else { self.specs += specs }
    }

    /// Writes the layer into `cache` and returns its digests. The blob appears in the cache only
    /// complete; on failure the temporary file is removed.
    public func write(into cache: BlobCache) throws -> WrittenLayer {
        let temporary = cache.makeTemporaryPath()
        do {
            let file = try FileSink(path: temporary, shownAs: cache.shownName)
            let (diffID, digest, size, files) = try writeListing(to: file)
            try file.close()
            try cache.commit(temporaryPath: temporary, digest: digest)
            return WrittenLayer(digest: digest, diffID: diffID, size: size, compression: compression,
                                path: cache.path(for: digest), files: files)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Streams the blob to any sink (a file, an upload), returning (diff_id, digest, size).
    public func write(to sink: ByteSink) throws -> (diffID: Digest, digest: Digest, size: Int64) {
        let written = try writeListing(to: sink)
        return (written.diffID, written.digest, written.size)
    }

    /// Writes the blob and lists its regular files with their hashes, taken in the same pass
    /// (what an SBOM lists): hard-linked names share their file's hashes.
    func writeListing(to sink: ByteSink) throws -> (diffID: Digest, digest: Digest, size: Int64, files: [WrittenFile]) {
        let plan = try LayerPlan(specs: specs)
        let blob = HashingSink(forwardingTo: sink)
        let compressor: CompressingSink = try gzipLevel.map { try GzipSink(level: $0, forwardingTo: blob) }
            ?? compression.makeSink(forwardingTo: blob, workers: zstdWorkers)
        let compressing = CompressionThread(compressor)
        do {
            let tar = HashingSink(forwardingTo: compressing)
            let files = try writeEntries(plan.entries, to: tar)
            try compressing.finish()
            return (tar.finalize(), blob.finalize(), blob.count, files)
        } catch {
            compressing.cancel(error)
            throw error
        }
    }

    /// The tar side: every entry, its files hashed as they go by.
    private func writeEntries(_ entries: [LayerEntrySpec], to tar: ByteSink) throws -> [WrittenFile] {
        let archive = try TarArchiveWriter(sink: tar)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        // Only hard-link targets are looked up again: a layer's files are not all kept twice.
        var targets: Set<String> = []
        for case .hardlink(let target) in entries.lazy.map(\.content) { targets.insert(target) }
        var targetFiles: [String: WrittenFile] = [:]
        var files: [WrittenFile] = []
        files.reserveCapacity(entries.reduce(0) { count, spec in
            switch spec.content {
            case .file, .bytes, .staged, .hardlink: return count + 1
            case .directory, .symlink: return count
            }
        })
        let progress = onProgress.map { ContentProgress(report: $0, total: Self.contentSize(entries)) }
        for spec in entries {
            try Interruption.check()
            if let file = try write(spec, to: archive, buffer: buffer, progress: progress) {
                files.append(file)
                if targets.contains(spec.path) { targetFiles[spec.path] = file }
            } else if case .hardlink(let target) = spec.content, let file = targetFiles[target] {
                files.append(file.named(spec.path))
            }
        }
        try archive.close()
        return files
    }

    /// Writes one entry; a regular file's hashes come back.
    private func write(_ spec: LayerEntrySpec, to archive: TarArchiveWriter,
                       buffer: UnsafeMutableRawBufferPointer, progress: ContentProgress?) throws -> WrittenFile? {
        var header = TarArchiveWriter.Header(name: spec.path, fileType: TarArchiveWriter.regularFile,
                                             permissions: spec.mode, uid: spec.uid, gid: spec.gid, mtime: mtime)
        let source: ByteSource
        let what: String
        switch spec.content {
        case .directory:
            header.name += "/"
            header.fileType = TarArchiveWriter.directory
            try archive.writeHeader(header)
            return nil
        case .symlink(let target):
            header.fileType = TarArchiveWriter.symbolicLink
            header.symlink = target
            try archive.writeHeader(header)
            return nil
        case .hardlink(let target):
            header.hardlink = target
            try archive.writeHeader(header)
            return nil
        case .bytes(let bytes):
            header.size = Int64(bytes.count)
            try archive.writeHeader(header)
            let hashes = FileHashes()
            try bytes.withUnsafeBytes { chunk in
                hashes.update(chunk)
                try archive.writeData(chunk)
            }
            progress?.add(bytes.count)
            return hashes.file(at: spec.path, size: header.size)
        case .file(let localPath):
            let file = try LocalFile.open(localPath)
            header.size = file.length ?? 0
            (source, what) = (file, localPath)
        case .staged(let content):
            header.size = content.length
            (source, what) = (content.source(), "/" + spec.path)
        }
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
        guard total == header.size else { throw LayerError.sourceChanged(what) }
        return hashes.file(at: spec.path, size: total)
    }
}

extension LayerWriter {
    /// The bytes of content the entries hold (local files as they are now).
    static func contentSize(_ specs: [LayerEntrySpec]) -> Int64 {
        specs.reduce(0) { sum, spec in
            switch spec.content {
            case .bytes(let bytes): return sum + Int64(bytes.count)
            case .staged(let content): return sum + content.length
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
