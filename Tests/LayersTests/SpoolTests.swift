import Foundation
import OCI
import Streams
import Testing
@testable import Layers

/// The spool a merged filesystem stages copied content in: one file, each staged file a
/// segment; what the merge drops gives its blocks back; hard links share a segment until
/// the last name goes; a failed stage leaves nothing behind.
@Suite struct SpoolTests {
    /// Blocks the spool file really holds on disk.
    static func allocatedBytes(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_blocks) * 512 : -1
    }

    static func layer(_ specs: [LayerEntrySpec], in directory: TemporaryDirectory, name: String) throws -> LayerReader {
        try LayerReader(source: FileSource(path: Fixture.layer(specs, in: directory, cacheName: name).path))
    }

    @Test func droppedContentGivesItsBlocksBack() throws {
        let directory = try TemporaryDirectory()
        let big = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let merged = try MergedFilesystem(selecting: ["/opt"], stagingDirectory: directory.path + "/staging")
        try merged.apply(layerIndex: 0, reader: Self.layer([.bytes("/opt/big", big), .bytes("/opt/keep", [1, 2, 3])], in: directory, name: "a"))
        let spool = directory.path + "/staging/content"
        #expect(merged.stagedBytes == Int64(big.count + 3) && merged.stagedFiles == 2)
        try merged.apply(layerIndex: 1, reader: Self.layer([.bytes("/opt/big", [9])], in: directory, name: "b"))
        #expect(merged.stagedBytes == 4 && merged.stagedFiles == 2)
        // The 8 MiB segment is a hole now: the file keeps its size, not its blocks.
        #expect(Self.allocatedBytes(spool) < 1 << 20, "\(Self.allocatedBytes(spool)) bytes still allocated")
        let specs = try merged.entries(under: "/opt", destination: "/opt")
        #expect(try specs.compactMap(Fixture.content) == [[9], [1, 2, 3]])
    }

    @Test func aHardLinkKeepsTheContentItShares() throws {
        let directory = try TemporaryDirectory()
        let content = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let merged = try MergedFilesystem(selecting: ["/"], stagingDirectory: directory.path + "/staging")
        try merged.apply(layerIndex: 0, reader: Self.layer([
            .bytes("/a/file", content), LayerEntrySpec(path: "/b/link", mode: 0o644, content: .hardlink(target: "/a/file")),
        ], in: directory, name: "a"))
        #expect(merged.stagedFiles == 1)  // two names, one segment
        try merged.apply(layerIndex: 1, reader: Self.layer([.bytes("/a/.wh.file", [])], in: directory, name: "b"))
        #expect(merged.stagedFiles == 1 && merged.stagedBytes == Int64(content.count))  // the link still holds it
        let link = try merged.entries(under: "/b/link", destination: "/x")
        #expect(try link.first.flatMap(Fixture.content) == content)
        try merged.apply(layerIndex: 2, reader: Self.layer([.bytes("/b/.wh.link", [])], in: directory, name: "c"))
        #expect(merged.stagedFiles == 0 && merged.stagedBytes == 0)
    }

    /// A layer that fails in the middle of a file (a dropped connection) leaves no segment
    /// counted, and the spool goes on from where the last good one ended. (The merged view of
    /// a failed layer is not used again: the command fails.)
    @Test func aFailedStageLeavesNothing() throws {
        let directory = try TemporaryDirectory()
        let merged = try MergedFilesystem(selecting: ["/"], stagingDirectory: directory.path + "/staging")
        try merged.apply(layerIndex: 0, reader: Self.layer([.bytes("/first", Array("one".utf8))], in: directory, name: "a"))
        let blob = try Data(contentsOf: URL(fileURLWithPath: Fixture.layer([.bytes("/big", [UInt8](repeating: 7, count: 300_000))],
                                                                          in: directory, cacheName: "b").path))
        let cut = MemorySource(Array(blob.prefix(blob.count / 2)))
        #expect(throws: (any Error).self) { try merged.apply(layerIndex: 1, reader: LayerReader(source: cut)) }
        #expect(merged.stagedFiles == 1 && merged.stagedBytes == 3)
        try merged.apply(layerIndex: 2, reader: Self.layer([.bytes("/second", Array("two".utf8))], in: directory, name: "c"))
        let first = try merged.entries(under: "/first", destination: "/first"), second = try merged.entries(under: "/second", destination: "/second")
        #expect(try (first + second).compactMap(Fixture.content) == [Array("one".utf8), Array("two".utf8)])
        #expect(merged.stagedFiles == 2 && merged.stagedBytes == 6)
    }

    /// The spool goes with the last reference to it: the staging directory is empty after.
    @Test func theSpoolFileGoesWithItsLastUser() throws {
        let directory = try TemporaryDirectory()
        var specs: [LayerEntrySpec] = []
        do {
            let merged = try MergedFilesystem(selecting: ["/"], stagingDirectory: directory.path + "/staging")
            try merged.apply(layerIndex: 0, reader: Self.layer([.bytes("/x", [1])], in: directory, name: "a"))
            specs = try merged.entries(under: "/x", destination: "/x")
        }
        // The merged view is gone; the spec still reads its content.
        #expect(try specs.first.flatMap(Fixture.content) == [1])
        specs = []
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/staging").isEmpty)
    }
}
