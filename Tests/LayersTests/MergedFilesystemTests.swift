import Foundation
import OCI
import Streams
import Testing
@testable import Layers

@Suite struct MergedFilesystemTests {
    static let lower: [LayerEntrySpec] = [
        .bytes("/opt/harness/bin/tool", mode: 0o755, Array("v1".utf8)),
        .bytes("/opt/harness/bin/base", Array("shared".utf8)),
        LayerEntrySpec(path: "/opt/harness/bin/twin", mode: 0o644, content: .hardlink(target: "/opt/harness/bin/base")),
        .bytes("/opt/harness/scripts/a.sh", mode: 0o755, Array("a".utf8)),
        .bytes("/opt/harness/scripts/old.sh", Array("old".utf8)),
        .bytes("/opt/harness/scripts/sub/deep.txt", Array("deep".utf8)),
        .bytes("/etc/config", Array("c0".utf8)),
        .bytes("/var/lib/data/x", Array("x".utf8)),
        .bytes("/srv/keep/k", Array("k".utf8)),
        .bytes("/srv/keep/gone/g", Array("g".utf8)),
    ]

    static let upper: [LayerEntrySpec] = [
        .bytes("/opt/harness/bin/tool", mode: 0o700, Array("v2".utf8)),  // override
        .bytes("/opt/harness/bin/base", Array("changed".utf8)),  // the older hard link keeps "shared"
        .bytes("/opt/harness/scripts/.wh.old.sh", []),  // whiteout of a file
        .symlink("/opt/harness/scripts/link", to: "a.sh"),
        .bytes("/srv/keep/.wh..wh..opq", []),  // opaque directory...
        .bytes("/srv/keep/+early", Array("e".utf8)),  // ...with entries sorted before the marker
        .bytes("/srv/keep/new", Array("n".utf8)),  // ...and after it
        .bytes("/var/lib/data", Array("now a file".utf8)),  // a file replaces a directory
        .bytes("/etc/.wh.config", []),
    ]

    static let selectors = ["/opt/harness/bin/", "/opt/harness/scripts", "var/lib/data", "/srv"]

    /// Applies `layers` (written by LayerWriter, read back by LayerReader) to a fresh view.
    static func merge(_ layers: [[LayerEntrySpec]], selecting selectors: [String]? = nil,
                      in directory: TemporaryDirectory) throws -> MergedFilesystem {
        let merged = try selectors.map { try MergedFilesystem(selecting: $0, stagingDirectory: directory.path + "/staging") }
            ?? MergedFilesystem()
        for (index, specs) in layers.enumerated() {
            let layer = try Fixture.layer(specs, in: directory, cacheName: "cache\(index)")
            try merged.apply(layerIndex: index, reader: LayerReader(source: FileSource(path: layer.path)))
        }
        return merged
    }

    @Test func listingHonoursOverridesWhiteoutsAndOpaqueDirectories() throws {
        let directory = try TemporaryDirectory()
        let merged = try Self.merge([Self.lower, Self.upper], in: directory)
        let listing = merged.listing()
        let expected: [(String, LayerEntry.Kind, Int)] = [
            ("etc", .directory, 1),
            ("opt", .directory, 1), ("opt/harness", .directory, 1), ("opt/harness/bin", .directory, 1),
            ("opt/harness/bin/base", .file, 1), ("opt/harness/bin/tool", .file, 1), ("opt/harness/bin/twin", .hardlink, 0),
            ("opt/harness/scripts", .directory, 1), ("opt/harness/scripts/a.sh", .file, 0),
            ("opt/harness/scripts/link", .symlink, 1), ("opt/harness/scripts/sub", .directory, 0),
            ("opt/harness/scripts/sub/deep.txt", .file, 0),
            ("srv", .directory, 1), ("srv/keep", .directory, 1), ("srv/keep/+early", .file, 1), ("srv/keep/new", .file, 1),
            ("var", .directory, 1), ("var/lib", .directory, 1), ("var/lib/data", .file, 1),
        ]
        #expect(listing.map(\.path) == expected.map(\.0))
        #expect(listing.map(\.entry.kind) == expected.map(\.1))
        #expect(listing.map(\.layerIndex) == expected.map(\.2))
        #expect(merged.item(at: "/opt/harness/bin/tool")?.entry.mode == 0o700)
        #expect(merged.item(at: "/etc/config") == nil)
    }

    @Test func selectedContentIsStagedAndFollowsTheMerge() throws {
        let directory = try TemporaryDirectory()
        let merged = try Self.merge([Self.lower, Self.upper], selecting: Self.selectors, in: directory)
        let bin = try merged.entries(under: "/opt/harness/bin/", destination: "/opt/harness/bin/")
        #expect(bin.map(\.path) == ["opt/harness/bin", "opt/harness/bin/base", "opt/harness/bin/tool", "opt/harness/bin/twin"])
        #expect(try bin.map(Self.text) == [nil, "changed", "v2", "shared"])
        #expect(bin.map(\.mode) == [0o755, 0o644, 0o700, 0o644])

        let scripts = try merged.entries(under: "opt/harness/scripts", destination: "/usr/share/scripts/")
        #expect(scripts.map(\.path) == ["usr/share/scripts", "usr/share/scripts/a.sh", "usr/share/scripts/link",
                                        "usr/share/scripts/sub", "usr/share/scripts/sub/deep.txt"])
        #expect(scripts[2].content == .symlink(target: "a.sh"))
        #expect(try Self.text(scripts[4]) == "deep")

        let data = try merged.entries(under: "/var/lib/data", destination: "/data/")
        #expect(data.map(\.path) == ["data/data"])
        #expect(try data.map(Self.text) == ["now a file"])
        #expect(try merged.entries(under: "/opt/harness/bin/tool", destination: "/usr/bin/harness").map(\.path) == ["usr/bin/harness"])

        // Only live content remains staged: old.sh, v1, x, k and g were released; the first base
        // lives on as twin (its hard link shared the segment).
        #expect(merged.stagedFiles == 8)  // twin, base, tool, a.sh, deep.txt, data, +early, new
        let live = ["shared", "changed", "v2", "a", "deep", "now a file", "e", "n"].reduce(0) { $0 + $1.utf8.count }
        #expect(merged.stagedBytes == Int64(live))
        #expect(bin[1].content != bin[3].content)  // "changed" replaced base; twin keeps "shared"
    }

    @Test func copiedEntriesMakeAValidLayer() throws {
        let directory = try TemporaryDirectory()
        let merged = try Self.merge([Self.lower, Self.upper], selecting: Self.selectors, in: directory)
        var writer = LayerWriter()
        for spec in try merged.entries(under: "/opt/harness/", destination: "/opt/harness/") where spec.path != "opt/harness" {
            try writer.add(spec)
        }
        let layer = try writer.write(into: BlobCache(root: directory.path + "/out"))
        let members = try TarListing.members(of: layer.path)
        #expect(members.map(\.name) == ["opt", "opt/harness", "opt/harness/bin", "opt/harness/bin/base", "opt/harness/bin/tool",
                                        "opt/harness/bin/twin", "opt/harness/scripts", "opt/harness/scripts/a.sh",
                                        "opt/harness/scripts/link", "opt/harness/scripts/sub", "opt/harness/scripts/sub/deep.txt"])
        let texts = try Tool.python("""
            import sys, tarfile
            t = tarfile.open(sys.argv[1]); print(','.join(t.extractfile(n).read().decode() for n in sys.argv[2:]))
            """, [layer.path, "opt/harness/bin/twin", "opt/harness/bin/tool", "opt/harness/scripts/a.sh"])
        #expect(texts == "shared,v2,a\n")
    }

    @Test func missingSelectorNamesThePath() throws {
        let directory = try TemporaryDirectory()
        let merged = try Self.merge([Self.lower, Self.upper], selecting: Self.selectors, in: directory)
        for path in ["/opt/harness/nope", "/opt/harness/scripts/old.sh", "/etc/config", "/srv/keep/k"] {
            let error = #expect(throws: LayerError.self) { try merged.entries(under: path, destination: "/x/") }
            #expect(error?.description == "path \"\(path)\" not found in the source image")
        }
    }

    @Test func hardLinkToAnUnselectedFileIsAnErrorWhenCopied() throws {
        let directory = try TemporaryDirectory()
        let merged = try Self.merge([[
            .bytes("/lib/real", Array("r".utf8)),  // sorts first, so it carries the content
            LayerEntrySpec(path: "/opt/app/alias", mode: 0o644, content: .hardlink(target: "/lib/real")),
        ]], selecting: ["/opt/app"], in: directory)
        #expect(throws: LayerError.unresolvedHardlink(path: "opt/app/alias", target: "lib/real")) {
            try merged.entries(under: "/opt/app", destination: "/opt/app")
        }
        #expect(throws: LayerError.notExtracted("lib/real")) {
            try merged.entries(under: "/lib/real", destination: "/x")
        }
    }

    @Test func directoryReplacingAFileAndRootOpaqueMarker() throws {
        let directory = try TemporaryDirectory()
        let merged = try Self.merge([
            [.bytes("/a", Array("file".utf8)), .bytes("/b/keep", [])],
            [.bytes("/a/inside", Array("i".utf8))],  // "a" becomes a directory
            [.bytes("/.wh..wh..opq", []), .bytes("/c", [])],  // hides everything below the root
        ], in: directory)
        #expect(merged.listing().map(\.path) == ["c"])
    }

    @Test func deeplyNestedPathsAreHandledWithoutRecursion() throws {
        let directory = try TemporaryDirectory()
        let deep = "/" + Array(repeating: "d", count: 255).joined(separator: "/") + "/file"
        let merged = try Self.merge([[.bytes(deep, Array("x".utf8))]], selecting: ["/d"], in: directory)
        #expect(merged.listing().count == 256)
        #expect(merged.listing().last?.path == String(deep.dropFirst()))
        #expect(try merged.entries(under: "/d", destination: "/copy").count == 256)
        try merged.apply(layerIndex: 1, reader: LayerReader(source: FileSource(
            path: Fixture.layer([.bytes("/.wh.d", [])], in: directory, cacheName: "whiteout").path)))
        #expect(merged.listing().isEmpty)
        #expect(merged.stagedFiles == 0 && merged.stagedBytes == 0)
    }

    /// One path of 10,000 components (a 300-byte gzip layer) once cost quadratic time and
    /// memory; now the reader refuses it, before any directory is made, with one clear line.
    @Test func pathsBeyondTheLimitsAreRefused() throws {
        let directory = try TemporaryDirectory()
        for (name, detail) in [(Array(repeating: "a", count: 10_000).joined(separator: "/"), "is 19999 bytes long; layer paths are limited to 4096 bytes"),
                               (Array(repeating: "a", count: 257).joined(separator: "/"), "has 257 components; layer paths are limited to 256"),
                               (String(repeating: "n", count: 4097), "is 4097 bytes long; layer paths are limited to 4096 bytes")] {
            let path = directory.path + "/layer-\(name.utf8.count).tar.gz"
            try PythonTar.write([(name, "REGTYPE", "x", 0o644, 0)], to: path)
            let merged = MergedFilesystem()
            let error = #expect(throws: LayerError.self) { try merged.apply(layerIndex: 0, reader: LayerReader(source: FileSource(path: path))) }
            #expect(error?.description == "path \"\(name.prefix(48))...\" \(detail)")
            #expect(merged.listing().isEmpty)
        }
        // The writer refuses the same paths (a --file destination, a re-rooted copy).
        var writer = LayerWriter()
        #expect(throws: LayerError.self) { try writer.add(.bytes("/" + Array(repeating: "a", count: 257).joined(separator: "/"), [])) }
        #expect(throws: LayerError.self) { try writer.add(.symlink("/link", to: String(repeating: "t", count: 4097))) }
    }

    /// Repeated whiteouts and opaque markers over a large directory: each node is swept once per
    /// layer, not once per marker (10,000 markers over a directory of 3,000 files once meant 30 million visits).
    @Test func repeatedWhiteoutsSweepEachNodeOnce() throws {
        let directory = try TemporaryDirectory()
        let files = 3000, markers = 10_000
        let lower = directory.path + "/lower.tar"
        let upper = directory.path + "/upper.tar"
        try Tool.python("""
            import io, sys, tarfile
            def add(t, name):
                info = tarfile.TarInfo(name); t.addfile(info, io.BytesIO(b""))
            with tarfile.open(sys.argv[1], "w") as t:
                for i in range(\(files)): add(t, f"d/sub{i % 10}/f{i}")
            with tarfile.open(sys.argv[2], "w") as t:
                for i in range(\(files)): add(t, f"d/sub{i % 10}/g{i}")
                for i in range(\(markers)):
                    add(t, "d/.wh..wh..opq" if i % 2 else ".wh.d")
            """, [lower, upper])
        let merged = MergedFilesystem()
        try merged.apply(layerIndex: 0, reader: LayerReader(source: FileSource(path: lower)))
        #expect(merged.listing().count == files + 11)
        try merged.apply(layerIndex: 1, reader: LayerReader(source: FileSource(path: upper)))
        let listing = merged.listing()
        #expect(listing.count == files + 11)
        let kept = listing.filter { $0.entry.kind == .file }
        #expect(kept.count == files && kept.allSatisfy { $0.layerIndex == 1 && $0.path.contains("/g") })
        // The first marker sweeps both layers' nodes; the rest stop at the swept directory.
        #expect(merged.sweptNodes < 2 * (files + 11) + 2 * markers, "\(merged.sweptNodes) nodes swept")
    }

    @Test func unsafeLayersAreRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/evil.tar.gz"
        try PythonTar.write([("ok", "REGTYPE", "", 0o644, 0), ("../../etc/passwd", "REGTYPE", "x", 0o644, 0)], to: path)
        let merged = try MergedFilesystem(selecting: ["/"], stagingDirectory: directory.path + "/staging")
        #expect(throws: LayerError.unsafeEntry(path: "../../etc/passwd", layer: 3)) {
            try merged.apply(layerIndex: 3, reader: LayerReader(source: FileSource(path: path)))
        }
    }

    @Test func stagingDirectoryMustBeEmpty() throws {
        let directory = try TemporaryDirectory()
        try directory.file("staging/leftover", "x")
        #expect(throws: LayerError.self) {
            try MergedFilesystem(selecting: ["/"], stagingDirectory: directory.path + "/staging")
        }
    }

    /// The text of a spec's content (nil for directories and symlinks).
    static func text(_ spec: LayerEntrySpec) throws -> String? {
        try Fixture.content(of: spec).map { String(decoding: $0, as: UTF8.self) }
    }
}
