import Foundation
import Layers
import Testing
import TestSupport
@testable import Build

/// How a layer's entries add up: later operations win, hard links out of an image come back as
/// hard links, `chmod +x` acts on every name of a file.
@Suite struct LayerEntriesTests {
    /// Two names of one staged inode (what a merged filesystem gives for an image's hard link).
    func stagedPair() throws -> (String, String) {
        let directory = try TemporaryDirectory().path
        let first = directory + "/1", second = directory + "/2"
        try "shared\n".write(toFile: first, atomically: true, encoding: .utf8)
        #expect(link(first, second) == 0)
        return (first, second)
    }

    @Test func aLaterEntryForThePathWins() throws {
        var entries = LayerEntries()
        try entries.set(.directory("/opt/x", mode: 0o755))
        try entries.set(.directory("/opt/x/", mode: 0o777))
        let specs = try entries.finished()
        #expect(specs.map(\.mode) == [0o777])
    }

    @Test func stagedHardLinksAreRestoredAndShareTheirMode() throws {
        let (first, second) = try stagedPair()
        var entries = LayerEntries()
        try entries.set(.file("/tools/b.sh", mode: 0o644, from: first), staged: true)
        try entries.set(.file("/tools/a.sh", mode: 0o644, from: second), staged: true)
        entries.executables = ["/tools/b.sh"]
        let specs = try entries.finished()
        let byPath = Dictionary(uniqueKeysWithValues: specs.map { ($0.path, $0) })
        #expect(byPath["/tools/a.sh"]?.content == .file(path: second))
        #expect(byPath["/tools/b.sh"]?.content == .hardlink(target: "/tools/a.sh"))
        #expect(specs.allSatisfy { $0.mode == 0o755 }, "chmod +x reaches every name of the inode")
    }

    /// Local files (ADD) are copies even when they share an inode on disk, as Docker's ADD.
    @Test func localFilesAreNeverLinked() throws {
        let (first, second) = try stagedPair()
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
