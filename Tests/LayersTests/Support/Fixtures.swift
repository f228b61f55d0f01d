import Foundation
import OCI
import Streams
@testable import Layers

/// Shared builders so each test states only what it checks.
enum Fixture {
    /// Writes `specs` as a layer into a cache under `directory`.
    static func layer(_ specs: [LayerEntrySpec], mtime: Int64 = 0, in directory: TemporaryDirectory,
                      cacheName: String = "cache") throws -> WrittenLayer {
        var writer = LayerWriter(mtime: mtime)
        for spec in specs { try writer.add(spec) }
        return try writer.write(into: BlobCache(root: directory.path + "/" + cacheName))
    }

    /// Reads every entry of a layer file (data skipped).
    static func entries(of path: String) throws -> [LayerEntry] {
        let reader = try LayerReader(source: FileSource(path: path))
        var entries: [LayerEntry] = []
        while let entry = try reader.next() { entries.append(entry) }
        return entries
    }

    /// Reads the content of one entry of a layer file as text.
    static func text(of entryPath: String, in layerPath: String) throws -> String? {
        let reader = try LayerReader(source: FileSource(path: layerPath))
        while let entry = try reader.next() {
            guard entry.path == entryPath else { continue }
            let sink = CollectingSink(limit: 1 << 20)
            try reader.readData(into: sink)
            return String(decoding: sink.bytes, as: UTF8.self)
        }
        return nil
    }

    /// The content a spec writes: staged content (read from its spool), literal bytes or a file.
    static func content(of spec: LayerEntrySpec) throws -> [UInt8]? {
        switch spec.content {
        case .staged(let content): return try content.source().readAll(limit: 1 << 24)
        case .bytes(let bytes): return bytes
        case .file(let path): return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        default: return nil
        }
    }
}
