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

    struct Record: Codable {
        struct File: Codable { var path: String; var sha256: String; var sha1: String; var size: Int64 }
        var digest: Digest
        var diffID: Digest
        var size: Int64
        var algorithm: String
        var level: Int32
        var createdBy: String?
        var comment: String?
        var files: [File]
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
        guard let name = (try? FileManager.default.contentsOfDirectory(atPath: directory))?.first(where: { $0.hasPrefix(prefix + "-") }),
              let data = FileManager.default.contents(atPath: directory + "/" + name), data.count <= 64 << 20,
              let record = try? UntrustedJSON.decode(Record.self, from: data),
              let algorithm = Compression.Algorithm(rawValue: record.algorithm),
              let compression = try? Compression(algorithm, level: record.level) else { return nil }
        let path = cache.path(for: record.digest)
        guard let source = try? FileSource(path: path), source.length == record.size else { return nil }
        let hashing = HashingSink()
        guard (try? source.pump(to: hashing)) != nil, hashing.finalize() == record.digest else { return nil }
        var files: [WrittenFile] = []
        for file in record.files {
            guard let written = WrittenFile(path: file.path, sha256: file.sha256, sha1: file.sha1, size: file.size) else { return nil }
            files.append(written)
        }
        return NewLayer(digest: record.digest, diffID: record.diffID, size: record.size, path: path,
                        history: ImageConfig.History(created_by: record.createdBy, comment: record.comment), files: files,
                        compression: compression)
    }

    /// Keeps what `layer` is, for the next run (written atomically; a failure only costs the
    /// next run a rebuild).
    func store(_ layer: NewLayer, for key: String) {
        let record = Record(digest: layer.digest, diffID: layer.diffID, size: layer.size, algorithm: layer.compression.algorithm.rawValue,
                            level: layer.compression.level, createdBy: layer.history.created_by, comment: layer.history.comment,
                            files: layer.files.map { Record.File(path: $0.path, sha256: $0.sha256, sha1: $0.sha1, size: $0.size) })
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil,
              let data = try? JSONEncoder().encode(record) else { return }
        try? data.write(to: URL(fileURLWithPath: directory + "/" + Self.name(key) + "-" + layer.digest.hex + ".json"), options: .atomic)
    }

    /// Removes the records of layers the cache no longer keeps.
    func prune(keeping: Set<Digest>) {
        let kept = Set(keeping.map(\.hex))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let digest = name.split(separator: "-").last.map { String($0.prefix { $0 != "." }) } ?? ""
            if !kept.contains(digest) { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
        }
    }

    /// The hex of the key's SHA-256: a record's name starts with it.
    static func name(_ key: String) -> String { Digest.of(Array(key.utf8)).hex }
}
