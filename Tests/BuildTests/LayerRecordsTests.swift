import Assembly
import Foundation
import Layers
import OCI
import Streams
import Testing
import TestSupport
@testable import Build

/// A layer's record round-trips what the SBOM needs, whatever its paths hold, and is refused
/// whole when it is cut short or its blob is damaged.
@Suite struct LayerRecordsTests {
    /// A written layer whose file names hold a newline, a backslash and a space.
    func layer(in directory: String) throws -> (LayerRecords, NewLayer) {
        let cache = try BlobCache(root: directory + "/cache")
        var writer = LayerWriter()
        for name in ["/opt/plain", "/opt/two\nlines", "/opt/back\\slash", "/opt/with space"] {
            try writer.add(.bytes(name, Array(name.utf8)))
        }
        let written = try writer.write(into: cache)
        let layer = NewLayer(digest: written.digest, diffID: written.diffID, size: written.size, path: written.path,
                             history: ImageConfig.History(created_by: "COPY plugin", comment: "samforge"), files: written.files)
        return (LayerRecords(root: directory, cache: cache), layer)
    }

    @Test func aStoredLayerLoadsAsItWas() throws {
        let directory = try TemporaryDirectory().path
        let (records, layer) = try layer(in: directory)
        #expect(layer.files.count == 4)
        records.store(layer, for: "key")
        let loaded = try #require(records.load("key"))
        #expect(loaded == layer)
        #expect(records.load("another key") == nil)
    }

    @Test func aRecordCutShortOrADamagedBlobIsNotUsed() throws {
        let directory = try TemporaryDirectory().path
        let (records, layer) = try layer(in: directory)
        records.store(layer, for: "key")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory + "/layers").first)
        let path = directory + "/layers/" + name
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.dropLast(3).write(to: URL(fileURLWithPath: path))
        #expect(records.load("key") == nil)

        try whole.write(to: URL(fileURLWithPath: path))
        #expect(records.load("key") != nil)
        let blob = try FileHandle(forWritingTo: URL(fileURLWithPath: layer.path))
        try blob.seek(toOffset: 20)
        try blob.write(contentsOf: Data([0xFF, 0x00, 0xFF]))
        try blob.close()
        #expect(records.load("key") == nil)
    }
}
