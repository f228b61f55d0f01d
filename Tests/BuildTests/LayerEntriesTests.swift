import Foundation
import Layers
import Streams
import Testing
import TestSupport
@testable import Build

/// How a layer's entries add up: later operations win, hard links out of an image come back as
/// hard links, `chmod +x` acts on every name of a file.
@Suite struct LayerEntriesTests {
    /// Two names of one file staged by a merged filesystem (an image's hard link, copied).
    func stagedPair(in directory: String) throws -> [LayerEntrySpec] {
        var image = LayerWriter()
        try image.add(.bytes("/src/a.sh", Array("shared\n".utf8)))
        try image.add(LayerEntrySpec(path: "/src/b.sh", mode: 0o644, content: .hardlink(target: "/src/a.sh")))
        let layer = try image.write(into: BlobCache(root: directory + "/image"))
        let merged = try MergedFilesystem(selecting: ["/src"], stagingDirectory: directory + "/staging")
        try merged.apply(layerIndex: 0, reader: LayerReader(source: FileSource(path: layer.path)))
        return try merged.entries(under: "/src", destination: "/tools").filter { $0.path != "tools" }
    }

    @Test func aLaterEntryForThePathWins() throws {
        var entries = LayerEntries()
        try entries.set(.directory("/opt/x", mode: 0o755))
        try entries.set(.directory("/opt/x/", mode: 0o777))
        var writer = LayerWriter()
        try writer.add(contentsOf: try entries.finished())
        let directory = try TemporaryDirectory().path
        let reader = try LayerReader(source: FileSource(path: try writer.write(into: BlobCache(root: directory)).path))
        var modes: [String: UInt32] = [:]
        while let entry = try reader.next() { modes[entry.path] = entry.mode }
        #expect(modes == ["opt": 0o755, "opt/x": 0o777])
    }

    /// chmod +x acts on the inode: both names get the mode, and the layer writer makes them one
    /// file again (the first name in tar order carries the content, the other links to it).
    @Test func stagedHardLinksAreRestoredAndShareTheirMode() throws {
        let directory = try TemporaryDirectory().path
        let copied = try stagedPair(in: directory)
        #expect(copied.map(\.path) == ["tools/a.sh", "tools/b.sh"])
        var entries = LayerEntries()
        try entries.set(contentsOf: copied)
        entries.executables = ["/tools/b.sh"]
        let specs = try entries.finished()
        #expect(specs.allSatisfy { $0.mode == 0o755 }, "chmod +x reaches every name of the inode")
        var writer = LayerWriter()
        try writer.add(contentsOf: specs)
        let reader = try LayerReader(source: FileSource(path: try writer.write(into: BlobCache(root: directory + "/out")).path))
        var entriesRead: [String: LayerEntry] = [:]
        while let entry = try reader.next() { entriesRead[entry.path] = entry }
        #expect(entriesRead["tools/a.sh"]?.kind == .file && entriesRead["tools/a.sh"]?.size == 7)
        #expect(entriesRead["tools/b.sh"]?.kind == .hardlink && entriesRead["tools/b.sh"]?.linkTarget == "tools/a.sh")
        #expect(entriesRead["tools/a.sh"]?.mode == 0o755 && entriesRead["tools/b.sh"]?.mode == 0o755)
    }

    /// Empty files copied out of an image stay files of their own: an empty segment once had
    /// the next file's offset, and the two became one hard link (the content of one lost).
    @Test func emptyFilesCopiedFromAnImageAreNotLinkedToTheirNeighbours() throws {
        let directory = try TemporaryDirectory().path
        var image = LayerWriter()
        try image.add(.bytes("/src/a", []))
        try image.add(.bytes("/src/b", Array("hello\n".utf8)))
        try image.add(.bytes("/src/c", []))
        try image.add(.bytes("/src/d", Array("world\n".utf8)))
        let layer = try image.write(into: BlobCache(root: directory + "/image"))
        let merged = try MergedFilesystem(selecting: ["/src"], stagingDirectory: directory + "/staging")
        try merged.apply(layerIndex: 0, reader: LayerReader(source: FileSource(path: layer.path)))
        var entries = LayerEntries()
        try entries.set(contentsOf: try merged.entries(under: "/src", destination: "/tools").filter { $0.path != "tools" })
        entries.executables = ["/tools/a"]
        var writer = LayerWriter()
        try writer.add(contentsOf: try entries.finished())
        let reader = try LayerReader(source: FileSource(path: try writer.write(into: BlobCache(root: directory + "/out")).path))
        var read: [String: (kind: LayerEntry.Kind, size: Int64, mode: UInt32, content: String)] = [:]
        while let entry = try reader.next() {
            guard entry.kind != .directory else { continue }
            let sink = CollectingSink(limit: 1 << 10)
            if entry.kind == .file { try reader.readData(into: sink) }
            read[entry.path] = (entry.kind, entry.size, entry.mode, String(decoding: sink.bytes, as: UTF8.self))
        }
        #expect(read.keys.sorted() == ["tools/a", "tools/b", "tools/c", "tools/d"])
        #expect(read.values.allSatisfy { $0.kind == .file }, "\(read)")
        #expect(read["tools/a"]?.size == 0 && read["tools/c"]?.size == 0)
        #expect(read["tools/b"]?.content == "hello\n" && read["tools/d"]?.content == "world\n")
        #expect(read["tools/a"]?.mode == 0o755 && read["tools/b"]?.mode != 0o755, "chmod +x reaches the empty file only")
    }

    /// A local tree's files of one inode (`--file ./dir`) are one file and a hard link to it,
    /// the first name in tar order carrying the content; chmod +x reaches both.
    @Test func aTreesHardLinksAreKept() throws {
        let (first, second) = try Self.linkedPair()
        var entries = LayerEntries()
        try entries.set(.file("/tree/b", mode: 0o644, from: first), fromTree: true)
        try entries.set(.file("/tree/a", mode: 0o644, from: second), fromTree: true)
        try entries.set(.file("/tree/c", mode: 0o644, from: first), fromTree: true)
        try entries.set(.bytes("/tree/c", Array("replaced".utf8)))  // a later entry: no longer a name of the inode
        entries.executables = ["/tree/b"]
        let specs = try entries.finished()
        let byPath = Dictionary(specs.map { ($0.path, $0) }, uniquingKeysWith: { $1 })
        #expect(byPath["tree/a"]?.content == .file(path: second) && byPath["tree/a"]?.mode == 0o755)
        #expect(byPath["tree/b"]?.content == .hardlink(target: "tree/a") && byPath["tree/b"]?.mode == 0o755)
        #expect(byPath["tree/c"]?.content == .bytes(Array("replaced".utf8)))
    }

    /// Two local names of one inode.
    static func linkedPair() throws -> (String, String) {
        let directory = try TemporaryDirectory().path
        let first = directory + "/b", second = directory + "/a"
        try "shared\n".write(toFile: first, atomically: true, encoding: .utf8)
        #expect(link(first, second) == 0)
        return (first, second)
    }

    /// Local files (ADD) are copies even when they share an inode on disk, as Docker's ADD.
    @Test func localFilesAreNeverLinked() throws {
        let (first, second) = try Self.linkedPair()
        var entries = LayerEntries()
        try entries.set(.file("/a", mode: 0o644, from: first))
        try entries.set(.file("/b", mode: 0o644, from: second))
        #expect(try entries.finished().allSatisfy { if case .file = $0.content { return true } else { return false } })
    }

    @Test func anExecutableMustBeARegularFileOfTheLayer() throws {
        var entries = LayerEntries()
        try entries.set(.directory("/opt/bin", mode: 0o755))
        #expect(throws: BuildError.notARegularFile(source: "plugin image x", path: "/opt/bin")) {
            try entries.requireFile("/opt/bin", source: "plugin image x")
        }
        #expect(throws: BuildError.missingPath(source: "plugin image x", path: "/opt/none")) {
            try entries.requireFile("/opt/none", source: "plugin image x")
        }
    }

    @Test func theLayerKeySpellsOutEveryInput() throws {
        func layer(_ url: String) -> ImagePlan.Layer {
            ImagePlan.Layer(operations: [.file(ImagePlan.FileCopy(.url(url), to: "/x", mode: 0o755, role: "x"))], history: [.text("ADD x /x")], label: "x")
        }
        // Presigned URLs differ only in their query: two different downloads.
        let a = LayerBuilder.key(layer("https://e.test/x?sig=1"), digests: [:], history: "h", mtime: 0)
        let b = LayerBuilder.key(layer("https://e.test/x?sig=2"), digests: [:], history: "h", mtime: 0)
        let c = LayerBuilder.key(layer("https://e.test/x?sig=1"), digests: [:], history: "h", mtime: 1)
        #expect(a != b && a != c)
    }
}
