import Foundation
import OCI
import Testing
@testable import Layers

@Suite struct LayerWriterTests {
    /// A layer with a bit of everything: explicit and implied directories, a file from disk,
    /// literal bytes, a symlink, a long name and a non-ASCII name.
    static func sampleSpecs(in directory: TemporaryDirectory) throws -> [LayerEntrySpec] {
        let script = try directory.file("src/run.sh", "#!/bin/sh\necho hello\n")
        let longName = "/opt/harness/" + String(repeating: "long-component-", count: 8) + "end.txt"
        return [
            .file("/opt/harness/bin/run.sh", mode: 0o755, from: script),
            .directory("/opt/harness/scripts/", mode: 0o777),
            .bytes("/opt/harness/scripts/sam-plugin.sh", mode: 0o755, Array("#!/bin/bash\n".utf8)),
            .symlink("/usr/local/bin/run", to: "/opt/harness/bin/run.sh"),
            .bytes(longName, Array("long\n".utf8)),
            .bytes("/opt/harness/données/café.txt", Array("crème\n".utf8)),
        ]
    }

    @Test func sameInputsGiveIdenticalBlobs() throws {
        let directory = try TemporaryDirectory()
        let specs = try Self.sampleSpecs(in: directory)
        let first = try Fixture.layer(specs, in: directory, cacheName: "one")
        let second = try Fixture.layer(specs.reversed(), in: directory, cacheName: "two")
        #expect(first.digest == second.digest)
        #expect(first.diffID == second.diffID)
        #expect(first.size == second.size)
        try Tool.shell("cmp \"$1\" \"$2\"", arguments: [first.path, second.path])
    }

    @Test func sourceDateEpochChangesTheDigest() throws {
        let directory = try TemporaryDirectory()
        let specs = try Self.sampleSpecs(in: directory)
        let zero = try Fixture.layer(specs, mtime: 0, in: directory, cacheName: "zero")
        let dated = try Fixture.layer(specs, mtime: 1_700_000_000, in: directory, cacheName: "dated")
        #expect(zero.digest != dated.digest)
        #expect(zero.diffID != dated.diffID)
        #expect(try TarListing.members(of: dated.path).allSatisfy { $0.mtime == 1_700_000_000 })
    }

    @Test func compressionLevelChangesOnlyTheBlob() throws {
        let directory = try TemporaryDirectory()
        let specs = [LayerEntrySpec.bytes("/text", Array(String(repeating: "abcdefgh", count: 4096).utf8))]
        var fast = LayerWriter(compressionLevel: 1), best = LayerWriter(compressionLevel: 9)
        for spec in specs { try fast.add(spec); try best.add(spec) }
        let cache = try BlobCache(root: directory.path)
        let (one, nine) = (try fast.write(into: cache), try best.write(into: cache))
        #expect(one.diffID == nine.diffID)
        #expect(one.digest != nine.digest)
        var invalid = LayerWriter(compressionLevel: 12)
        try invalid.add(specs[0])
        #expect(throws: LayerError.compression("invalid compression level 12 (expected 0-9)")) { try invalid.write(into: cache) }
    }

    @Test func digestsMatchIndependentTools() throws {
        let directory = try TemporaryDirectory()
        let layer = try Fixture.layer(try Self.sampleSpecs(in: directory), in: directory)
        try Tool.shell("gzip -t \"$1\"", arguments: [layer.path])
        #expect(try Tool.sha256sum(layer.path) == layer.digest.description)
        let diffID = try Tool.shell("gzip -dc \"$1\" | sha256sum", arguments: [layer.path])
        #expect("sha256:" + diffID.prefix(64) == layer.diffID.description)
        let size = try FileManager.default.attributesOfItem(atPath: layer.path)[.size] as? Int
        #expect(Int64(size ?? -1) == layer.size)
        #expect(layer.path.hasSuffix("/blobs/sha256/" + layer.digest.hex))
    }

    @Test func tarHasSortedParentsFirstExactModesAndNoTimesButMtime() throws {
        let directory = try TemporaryDirectory()
        let layer = try Fixture.layer(try Self.sampleSpecs(in: directory), mtime: 42, in: directory)
        let members = try TarListing.members(of: layer.path)
        let long = "opt/harness/" + String(repeating: "long-component-", count: 8) + "end.txt"
        let expected: [(String, String, UInt32)] = [
            ("opt", "5", 0o755), ("opt/harness", "5", 0o755), ("opt/harness/bin", "5", 0o755),
            ("opt/harness/bin/run.sh", "0", 0o755), ("opt/harness/données", "5", 0o755),
            ("opt/harness/données/café.txt", "0", 0o644), (long, "0", 0o644),
            ("opt/harness/scripts", "5", 0o777), ("opt/harness/scripts/sam-plugin.sh", "0", 0o755),
            ("usr", "5", 0o755), ("usr/local", "5", 0o755), ("usr/local/bin", "5", 0o755),
            ("usr/local/bin/run", "2", 0o777),
        ]
        #expect(members.map(\.name) == expected.map(\.0))
        #expect(members.map(\.type) == expected.map(\.1))
        #expect(members.map(\.mode) == expected.map(\.2))
        for member in members {
            #expect(member.uid == 0 && member.gid == 0 && member.uname.isEmpty && member.gname.isEmpty)
            #expect(member.mtime == 42)
            #expect(!member.paxKeys.contains("atime") && !member.paxKeys.contains("ctime"), "\(member.name)")
            // PAX records only where ustar cannot hold the name; never times, charset or xattrs.
            #expect(member.paxKeys.allSatisfy { ["path", "linkpath"].contains($0) }, "\(member.paxKeys)")
        }
        #expect(members.first { $0.name == "usr/local/bin/run" }?.linkname == "/opt/harness/bin/run.sh")
        #expect(members.first { $0.name == long }?.paxKeys == ["path"])
        #expect(members.first { $0.name == "opt/harness/données/café.txt" }?.paxKeys == ["path"])
    }

    @Test func bsdtarReadsTheLayer() throws {
        let directory = try TemporaryDirectory()
        let layer = try Fixture.layer(try Self.sampleSpecs(in: directory), in: directory)
        let listing = try Tool.shell("bsdtar -tvf \"$1\"", arguments: [layer.path])
        #expect(listing.contains("drwxrwxrwx  0 0      0           0 Jan  1  1970 opt/harness/scripts/"))
        #expect(listing.contains("opt/harness/bin/run.sh"))
        #expect(listing.contains("usr/local/bin/run -> /opt/harness/bin/run.sh"))
        let extracted = directory.path + "/extracted"
        try Tool.shell("mkdir \"$2\" && bsdtar -xf \"$1\" -C \"$2\"", arguments: [layer.path, extracted])
        #expect(try directory.contents("extracted/opt/harness/bin/run.sh") == "#!/bin/sh\necho hello\n")
        #expect(try directory.contents("extracted/opt/harness/données/café.txt") == "crème\n")
    }

    @Test func gzipHeaderHasZeroMtimeAndUnknownOS() throws {
        let directory = try TemporaryDirectory()
        let layer = try Fixture.layer([.bytes("/a", [1, 2, 3])], in: directory)
        let handle = try #require(FileHandle(forReadingAtPath: layer.path))
        let header = [UInt8](try #require(try handle.read(upToCount: 10)))
        #expect(header[0..<4] == [0x1f, 0x8b, 8, 0])  // magic, deflate, no flags (no name, no extra)
        #expect(header[4..<8] == [0, 0, 0, 0])  // MTIME
        #expect(header[9] == 255)  // OS: unknown
    }

    @Test func explicitParentModeWinsAndLastDuplicateWins() throws {
        let directory = try TemporaryDirectory()
        let layer = try Fixture.layer([
            .bytes("/etc/app/config", Array("old".utf8)),
            .directory("/etc/app", mode: 0o700),
            .bytes("etc/app/config/", mode: 0o600, Array("new".utf8)),
        ], in: directory)
        let members = try TarListing.members(of: layer.path)
        #expect(members.map(\.name) == ["etc", "etc/app", "etc/app/config"])
        #expect(members.map(\.mode) == [0o755, 0o700, 0o600])
        #expect(try Fixture.text(of: "etc/app/config", in: layer.path) == "new")
    }

    /// Paths are their bytes: the NFC and NFD spellings of a name are two entries (Swift's `==`
    /// would call them one), and the last spec of the same bytes wins. (libarchive writes both
    /// names' PAX headers in NFC, so only the contents tell them apart here.)
    @Test func namesAreComparedAsBytes() throws {
        let directory = try TemporaryDirectory()
        let composed = "/opt/caf\u{E9}", decomposed = "/opt/cafe\u{301}"
        #expect(composed == decomposed && !composed.utf8.elementsEqual(decomposed.utf8))
        let layer = try Fixture.layer([.bytes(composed, Array("nfc".utf8)), .bytes(decomposed, Array("nfd".utf8)),
                                       .bytes(composed, Array("nfc, later".utf8))], in: directory)
        let texts = try Tool.python("""
            import sys, tarfile
            t = tarfile.open(sys.argv[1])
            print(sorted(t.extractfile(m).read().decode() for m in t.getmembers() if m.isfile()))
            """, [layer.path])
        #expect(texts.trimmingCharacters(in: .whitespacesAndNewlines) == "['nfc, later', 'nfd']", "\(texts)")
    }

    @Test func hardLinksPointBackwardsInTarOrder() throws {
        let directory = try TemporaryDirectory()
        // "/a" links to "/b": tar needs the content first, so "a" carries it and "b" links to "a".
        let layer = try Fixture.layer([
            .bytes("/b", mode: 0o750, Array("shared".utf8)),
            LayerEntrySpec(path: "/a", mode: 0o644, content: .hardlink(target: "/b")),
            LayerEntrySpec(path: "/c", mode: 0o644, content: .hardlink(target: "a")),
        ], in: directory)
        let members = try TarListing.members(of: layer.path)
        #expect(members.map(\.name) == ["a", "b", "c"])
        #expect(members.map(\.type) == ["0", "1", "1"])
        #expect(members.map(\.linkname) == ["", "a", "a"])
        #expect(members.map(\.mode) == [0o750, 0o750, 0o750])
        let content = try Tool.python("""
            import sys, tarfile
            t = tarfile.open(sys.argv[1]); print(t.extractfile('b').read().decode() + t.extractfile('c').read().decode())
            """, [layer.path])
        #expect(content == "sharedshared\n")
    }

    @Test(arguments: [
        (LayerEntrySpec.bytes("/x/y", []), LayerEntrySpec.bytes("/x", [])),
        (LayerEntrySpec.bytes("/x/y", []), LayerEntrySpec.symlink("/x", to: "/tmp")),
    ])
    func parentThatIsNotADirectoryIsRejected(child: LayerEntrySpec, parent: LayerEntrySpec) throws {
        var writer = LayerWriter()
        try writer.add(child)
        try writer.add(parent)
        let directory = try TemporaryDirectory()
        #expect(throws: LayerError.notADirectory("/x")) { try writer.write(into: BlobCache(root: directory.path)) }
    }

    @Test(arguments: ["/missing", "/dir", "/loop1"])
    func danglingOrBadHardLinksAreRejected(target: String) throws {
        var writer = LayerWriter()
        try writer.add(.directory("/dir"))
        try writer.add(LayerEntrySpec(path: "/loop1", mode: 0o644, content: .hardlink(target: "/loop2")))
        try writer.add(LayerEntrySpec(path: "/loop2", mode: 0o644, content: .hardlink(target: "/loop1")))
        try writer.add(LayerEntrySpec(path: "/link", mode: 0o644, content: .hardlink(target: target)))
        let directory = try TemporaryDirectory()
        #expect(throws: LayerError.self) { try writer.write(into: BlobCache(root: directory.path)) }
        // Nothing half-written is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/tmp").isEmpty)
    }

    @Test(arguments: ["", "/", "./", "a/../b", "..", "/opt/../../etc", "a\u{0}b"])
    func invalidPathsAreRejected(path: String) throws {
        var writer = LayerWriter()
        #expect(throws: LayerError.self) { try writer.add(.bytes(path, [])) }
        #expect(writer.isEmpty)
    }

    @Test func missingLocalFileIsAClearError() throws {
        let directory = try TemporaryDirectory()
        var writer = LayerWriter()
        try writer.add(.file("/a", from: directory.path + "/nope"))
        let error = #expect(throws: LayerError.self) { try writer.write(into: BlobCache(root: directory.path)) }
        #expect(error?.description.hasPrefix("cannot read \(directory.path)/nope") == true)
        try writer.add(.file("/a", from: directory.path))
        let notFile = #expect(throws: LayerError.self) { try writer.write(into: BlobCache(root: directory.path)) }
        #expect(notFile?.description.hasSuffix("not a regular file") == true)
    }

    @Test(arguments: [
        ([:], Int64(0)), (["SOURCE_DATE_EPOCH": ""], 0), (["SOURCE_DATE_EPOCH": "0"], 0),
        (["SOURCE_DATE_EPOCH": "1700000000"], 1_700_000_000),
    ] as [([String: String], Int64)])
    func sourceDateEpochParses(environment: [String: String], expected: Int64) throws {
        #expect(try LayerWriter.mtime(fromEnvironment: environment) == expected)
    }

    @Test(arguments: ["-1", "1.5", "abc", " 1", "99999999999999999999", "+5"])
    func invalidSourceDateEpochIsAnError(value: String) {
        #expect(throws: LayerError.invalidSourceDateEpoch(value)) {
            try LayerWriter.mtime(fromEnvironment: ["SOURCE_DATE_EPOCH": value])
        }
    }
}
