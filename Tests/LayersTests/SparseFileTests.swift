import Foundation
import Streams
import Testing
@testable import Layers

/// Sparse tar entries (GNU tar --sparse): a few hundred bytes of layer can claim a file of any
/// size. libarchive gives a trailing hole no bytes (a 5 GiB file copied as an empty one) and
/// fills inner holes with zeros (a terabyte staged on disk), so such a file is listed as it
/// claims but never staged or copied.
@Suite struct SparseFileTests {
    @Test func sparseFilesAreListedButNotCopied() throws {
        let directory = try TemporaryDirectory()
        try Tool.shell("""
            mkdir -p "$1/tree/opt" && cd "$1/tree" && truncate -s 64G opt/huge && printf 'data' >> opt/huge \
              && printf 'plain' > opt/small && ln opt/huge opt/twin \
              && tar --sparse --format=pax --no-recursion -cf ../layer.tar opt opt/huge opt/small opt/twin
            """, arguments: [directory.path])
        let layer = directory.path + "/layer.tar"
        let entries = try Fixture.entries(of: layer)
        let huge = try #require(entries.first { $0.path == "opt/huge" })
        #expect(huge.isSparse && huge.size == (64 << 30) + 4)
        #expect(entries.first { $0.path == "opt/small" }?.isSparse == false)

        let merged = try MergedFilesystem(selecting: ["/opt"], stagingDirectory: directory.path + "/staging")
        try merged.apply(layerIndex: 0, reader: LayerReader(source: FileSource(path: layer)))
        let mergedSize: Int64? = merged.item(at: "/opt/huge")?.entry.size
        #expect(mergedSize == Int64(64 << 30) + 4)
        #expect(throws: LayerError.unsupportedEntry(path: "opt/huge", kind: "sparse file")) {
            try merged.entries(under: "/opt/huge", destination: "/x")
        }
        #expect(throws: LayerError.unsupportedEntry(path: "opt/twin", kind: "hard link to a sparse file")) {
            try merged.entries(under: "/opt/twin", destination: "/x")
        }
        #expect(try merged.entries(under: "/opt/small", destination: "/x").count == 1)
        // Nothing but the small file was staged: no zeros were written for the holes.
        #expect(merged.stagedFiles == 1 && merged.stagedBytes == 5)
        #expect(try (FileManager.default.attributesOfItem(atPath: directory.path + "/staging/content")[.size] as? Int ?? -1) <= 5)
    }
}
