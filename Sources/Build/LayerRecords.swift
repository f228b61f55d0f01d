import Assembly
import Foundation
import Layers
import OCI
import Streams

/// What an earlier run wrote for a layer, kept beside the cached blob (jib's layer cache): a
/// record per layer, named by the hash of everything the layer is made of *by content* (images
/// by image ID, files and downloads by SHA-256, modes, history, mtime, compression). A re-run
/// whose inputs have not changed takes the layer from the cache instead of reading its images
/// again (a docker CLI image's layers, a plugin image's) and compressing: it costs existence
/// checks. The blob is hashed once more before it is used, so a damaged cache file is never
/// pushed: the layer is written again instead.
struct LayerRecords: Sendable {
    let directory: String
    let cache: BlobCache

    /// The record's first line; the files follow, one per line ("SHA256 SHA1 SIZE PATH", the path
    /// with backslash and newline escaped): a build that copies 100,000 files has a record of
    /// 100,000 lines, written and read as a stream, never one JSON document in memory.
    struct Header: Codable {
        var digest: Digest
        var diffID: Digest
        var size: Int64
        var algorithm: String
        var level: Int32
        var createdBy: String?
        var comment: String?
    }

    /// `root/layers`, created on first store.
    init(root: String, cache: BlobCache) {
        directory = root + "/layers"
        self.cache = cache
    }

    /// The layer an earlier run wrote for `key`, when its record and its blob are both there
    /// and the blob still hashes to its digest.
    func load(_ key: String) -> NewLayer? {
        let prefix = Self.name(key)
        guard let name = (try? FileManager.default.contentsOfDirectory(atPath: directory))?.first(where: { $0.hasPrefix(prefix + "-") && $0.hasSuffix(".record") }),
              let lines = LineReader(path: directory + "/" + name),
              let first = lines.next(), let header = try? UntrustedJSON.decode(Header.self, from: Data(first.utf8)),
              let algorithm = Compression.Algorithm(rawValue: header.algorithm),
              let compression = try? Compression(algorithm, level: header.level) else { return nil }
        var files: [WrittenFile] = []
        while let line = lines.next() {
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, let size = Int64(fields[2]),
                  let file = WrittenFile(path: Self.unescaped(fields[3]), sha256: String(fields[0]), sha1: String(fields[1]), size: size)
            else { return nil }
            files.append(file)
        }
        guard lines.complete else { return nil }
        let path = cache.path(for: header.digest)
        guard let source = try? FileSource(path: path), source.length == header.size else { return nil }
        let hashing = HashingSink()
        guard (try? source.pump(to: hashing)) != nil, hashing.finalize() == header.digest else { return nil }
        return NewLayer(digest: header.digest, diffID: header.diffID, size: header.size, path: path,
                        history: ImageConfig.History(created_by: header.createdBy, comment: header.comment), files: files,
                        compression: compression)
    }

    /// Keeps what `layer` is, for the next run (written to a temporary file and renamed; a
    /// failure only costs the next run a rebuild).
    func store(_ layer: NewLayer, for key: String) {
        let header = Header(digest: layer.digest, diffID: layer.diffID, size: layer.size, algorithm: layer.compression.algorithm.rawValue,
                            level: layer.compression.level, createdBy: layer.history.created_by, comment: layer.history.comment)
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil,
              let first = try? JSONEncoder().encode(header) else { return }
        let final = directory + "/" + Self.name(key) + "-" + layer.digest.hex + ".record"
        let temporary = final + ".tmp-\(UInt64.random(in: 0...UInt64.max))"
        guard let file = fopen(temporary, "w") else { return }
        var written = fwrite(Array(first) + [0x0A], 1, first.count + 1, file) == first.count + 1
        for entry in layer.files where written {
            written = fputs("\(entry.sha256) \(entry.sha1) \(entry.size) \(Self.escaped(entry.path))\n", file) >= 0
        }
        if fclose(file) == 0, written, rename(temporary, final) == 0 { return }
        unlink(temporary)
    }

    static func escaped(_ path: String) -> String {
        path.contains(where: { $0 == "\\" || $0 == "\n" })
            ? path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n") : path
    }

    static func unescaped(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var result = "", escaping = false
        for character in field {
            if escaping { result.append(character == "n" ? "\n" : character); escaping = false }
            else if character == "\\" { escaping = true }
            else { result.append(character) }
        }
        return result
    }

    /// Removes the records of layers the cache no longer keeps.
    func prune(keeping: Set<Digest>) {
        let kept = Set(keeping.map(\.hex))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let digest = name.split(separator: "-").dropFirst().first.map { String($0.prefix { $0 != "." }) } ?? ""
            if !kept.contains(digest) || !name.hasSuffix(".record") { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
        }
    }

    /// The hex of the key's SHA-256: a record's name starts with it.
    static func name(_ key: String) -> String { Digest.of(Array(key.utf8)).hex }
}

/// A file's lines, one at a time (getline): a record of 100,000 files is never read whole.
final class LineReader {
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    /// The file ended with a newline after its last line (a record cut short does not).
    private(set) var complete = true

    init?(path: String) {
        guard let file = fopen(path, "r") else { return nil }
        self.file = file
    }

    deinit {
        free(buffer)
        fclose(file)
    }

    func next() -> String? {
        let count = getline(&buffer, &capacity, file)
        guard count > 0, let buffer else { return nil }
        guard buffer[count - 1] == 0x0A else { complete = false; return nil }
        return String(decoding: UnsafeRawBufferPointer(start: buffer, count: count - 1), as: UTF8.self)
    }
}
