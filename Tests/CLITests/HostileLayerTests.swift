import Foundation
import Testing
import TestSupport

/// Layer blobs that try to make samforge run programs: every compressor libarchive would hand
/// to an external program (lrzip, lzop, grzip) and every other one layers never use is refused
/// by name, and stub programs of those names on PATH never run.
@Suite("hostile layers: compression", .enabled(if: TestWorld.available))
struct HostileCompressionTests {
    static let magics: [(name: String, magic: [UInt8])] = [
        ("lrzip", Array("LRZI".utf8) + [0, 6]),
        ("lzop", [0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A]),
        ("grzip", Array("GRZipII".utf8) + [0x00, 0x02, 0x04, 0x3A, 0x29]),
        ("xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]),
        ("bzip2", Array("BZh9".utf8)),
        ("compress (.Z)", [0x1F, 0x9D, 0x90]),
        ("lzip", Array("LZIP".utf8) + [1]),
        ("lz4", [0x04, 0x22, 0x4D, 0x18]),
    ]
    /// Every program libarchive 3.6 can run as a filter.
    static let programs = ["lrzip", "lzop", "grzip", "lzip", "lz4", "xz", "lzma", "bzip2", "bunzip2", "zstd", "gzip",
                           "compress", "uncompress", "uudecode", "lz4cat", "unzstd"]

    struct Stubs {
        let directory: String
        var marker: String { directory + "/ran" }
        var ran: String { (try? String(contentsOfFile: marker, encoding: .utf8)) ?? "" }
        var environment: [String: String] {
            ["PATH": directory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        }
    }

    /// A PATH directory whose programs record that they ran (and swallow their input).
    static func stubs() throws -> Stubs {
        let directory = try CopyKit.temporaryDirectory() + "/bin"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for program in programs {
            let path = directory + "/" + program
            try Executable.write("#!/bin/sh\necho \"$0 $*\" >> '\(directory)/ran'\ncat >/dev/null\n", to: path)
        }
        return Stubs(directory: directory)
    }

    static func blob(_ magic: [UInt8]) -> Data { Data(magic + (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }) }

    @Test(arguments: magics.map(\.name))
    func inspectRefusesEveryForeignCompression(_ name: String) throws {
        let magic = try #require(Self.magics.first { $0.name == name }?.magic)
        let stubs = try Self.stubs()
        let image = try HostileImage.layout([.init(bytes: Self.blob(magic))])
        let result = try CopyKit.samforge(["inspect", "--files", "0", image.location], environment: stubs.environment)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(CopyKit.errorLine(result) == "samforge: error: \(image.location): layer 0 (\(image.layerDigests[0])): "
                + "the layer is \(name)-compressed; only gzip, zstd and uncompressed tar layers are read", "\(result.stderr)")
        #expect(stubs.ran.isEmpty, "a program ran: \(stubs.ran)")
    }

    /// The same through a registry, for the merged view (`inspect --files all`) and for the
    /// merged filesystem `append --copy-from` copies from.
    @Test func registryImagesAreRefusedTooAndNoProgramRuns() throws {
        let stubs = try Self.stubs()
        let lrzip = try #require(Self.magics.first?.magic)
        let image = try HostileImage.layout([.init(bytes: Self.blob(lrzip))])
        let reference = try HostileImage.push(image, prefix: "hostile-lrzip")
        let merged = try CopyKit.samforge(["inspect", "--files", "all", reference], environment: stubs.environment)
        #expect(merged.status == 1)
        #expect(CopyKit.errorLine(merged).contains("layer 0 (\(image.layerDigests[0])): the layer is lrzip-compressed"), "\(merged.stderr)")

        let target = CopyKit.newRepository("hostile-lrzip-append")
        let append = try CopyKit.samforge(["append", "--copy-from", "\(reference):/etc", "--cache-dir", try CopyKit.temporaryDirectory(),
                                           "\(TestWorld.plain)/\(InspectViewTests.plugin)", target + ":1"], environment: stubs.environment)
        #expect(append.status == 1)
        #expect(CopyKit.errorLine(append).contains("the layer is lrzip-compressed"), "\(append.stderr)")
        #expect(try TestWorld.registryStatus("/v2/\(target.split(separator: "/", maxSplits: 1)[1])/manifests/1") == 404)
        #expect(stubs.ran.isEmpty, "a program ran: \(stubs.ran)")
    }
}

/// Path depth amplification: a layer of a few hundred bytes holding one path of 10,000
/// components once cost `build` 474 MB and 24 s. Names beyond 4096 bytes or 256 components
/// are refused with one line (in every command that reads layers), in flat memory; names at
/// the limits are listed and copied.
@Suite("hostile layers: path depth", .enabled(if: TestWorld.available))
struct HostilePathTests {
    static let tooDeep = Array(repeating: "a", count: 10_000).joined(separator: "/") + "/f"

    static func image(_ names: [String]) throws -> HostileImage.Built {
        let tar = try HostileImage.tar(names.map { ($0, "x") })
        return try HostileImage.layout([.init(bytes: try HostileImage.gzip(tar), uncompressed: tar)])
    }

    @Test func tooDeepPathsAreRefusedInFlatMemory() throws {
        let image = try Self.image(["opt/harness/bin/harness-sam-plugin", "opt/harness/scripts/sam-plugin.sh",
                                    "opt/harness/scripts/" + Self.tooDeep])
        let reference = try HostileImage.push(image, prefix: "hostile-deep")
        let small = try HostileImage.push(try Self.image(["opt/harness/bin/harness-sam-plugin", "opt/harness/scripts/sam-plugin.sh"]),
                                          prefix: "hostile-shallow")
        let refusal = "layer 0 (\(image.layerDigests[0])): path \"opt/harness/scripts/a/a/a/a/a/a/a/a/a/a/a/a/a/a/...\" "
            + "is 20021 bytes long; layer paths are limited to 4096 bytes"
        for files in ["0", "all"] {
            for location in [image.location, reference] {
                let result = try PeakMemory.samforge(["inspect", "--files", files, location])
                #expect(result.result.status == 1, "\(result.result.stderr)")
                #expect(CopyKit.errorLine(result.result) == "samforge: error: \(location): \(refusal)", "\(result.result.stderr)")
            }
            let deep = try PeakMemory.samforge(["inspect", "--files", files, reference])
            let shallow = try PeakMemory.samforge(["inspect", "--files", files, small])
            try #require(shallow.result.status == 0, "\(shallow.result.stderr)")
            #expect(deep.peakBytes - shallow.peakBytes < 16 << 20, "--files \(files): \(deep.peakBytes >> 20) MB vs \(shallow.peakBytes >> 20) MB")
        }

        // The commands that copy from an image's merged filesystem: nothing is pushed.
        let target = CopyKit.newRepository("hostile-deep-out")
        let append = try PeakMemory.samforge(["append", "--copy-from", "\(reference):/opt/harness/scripts", "--cache-dir", try CopyKit.temporaryDirectory(),
                                              "\(TestWorld.plain)/\(InspectViewTests.plugin)", target + ":append"])
        #expect(append.result.status == 1)
        #expect(CopyKit.errorLine(append.result).hasSuffix(refusal), "\(append.result.stderr)")
        let build = try PeakMemory.samforge(try BuildHarness.arguments(plugin: String(reference.dropFirst(TestWorld.plain.count + 1)), target: target,
                                                                        dockerImage: false, extra: ["--no-docker-cli", "--quiet"]))
        #expect(build.result.status == 1)
        #expect(CopyKit.errorLine(build.result).hasSuffix(refusal), "\(build.result.stderr)")
        for run in [append, build] { #expect(run.peakBytes < 96 << 20, "\(run.peakBytes >> 20) MB") }
        #expect(try BuildHarness.hasNoTags(target))
    }

    /// 256 components, 4096 bytes: listed and copied whole (python's tarfile reads the copy).
    @Test func pathsAtTheLimitsAreCopied() throws {
        let component = String(repeating: "b", count: 11)  // 12 bytes with its slash
        let deepest = "a/" + Array(repeating: component, count: 254).joined(separator: "/") + "/f"
        let longest = "a/" + String(repeating: "l", count: 4094)
        let reference = try HostileImage.push(try Self.image([deepest, longest]), prefix: "hostile-limits")
        let listing = try CopyKit.succeed(["inspect", "--files", "all", reference]).stdout
        #expect(listing.contains(" /" + deepest + "\n") && listing.contains(" /" + longest + "\n"))

        let target = CopyKit.newRepository("hostile-limits-out") + ":1"
        try CopyKit.succeed(["append", "--copy-from", "\(reference):/a", "--cache-dir", try CopyKit.temporaryDirectory(),
                             "\(TestWorld.plain)/\(InspectViewTests.plugin)", target])
        let manifest = try BuildHarness.rawManifest(target)
        let layer = try #require(BuildHarness.layerDigests(manifest).last)
        let blob = try BuildHarness.downloadBlob(layer, repository: String(target.dropLast(2)))
        let names = try BuildHarness.tarListing(blob).keys
        #expect(names.contains(deepest) && names.contains(longest), "\(names.count) names")
    }
}

/// A sparse tar entry: 300 bytes of layer claiming a 64 GiB file. Once copied as an empty
/// file (libarchive gives a trailing hole no bytes); now listed as it claims, never copied.
@Suite("hostile layers: sparse files", .enabled(if: TestWorld.available))
struct HostileSparseTests {
    @Test func sparseFilesAreNotCopied() throws {
        let directory = try CopyKit.temporaryDirectory()
        _ = try CopyKit.shell("""
            mkdir -p "$1/tree/opt" && cd "$1/tree" && truncate -s 64G opt/huge && printf ok > opt/small \
              && tar --sparse --format=pax -cf ../layer.tar opt && rm -rf "$1/tree"
            """, [directory])
        let tar = try Data(contentsOf: URL(fileURLWithPath: directory + "/layer.tar"))
        let reference = try HostileImage.push(try HostileImage.layout([.init(bytes: try HostileImage.gzip(tar), uncompressed: tar)]),
                                              prefix: "hostile-sparse")
        let listing = CopyKit.collapsed(try CopyKit.succeed(["inspect", "--files", "0", reference]).stdout)
        #expect(listing.contains("-rw-r--r-- 0/0 68719476736 /opt/huge"), "\(listing)")
        let target = CopyKit.newRepository("hostile-sparse-out")
        let cache = try CopyKit.temporaryDirectory()
        let result = try CopyKit.samforge(["append", "-q", "--copy-from", "\(reference):/opt", "--cache-dir", cache,
                                           "\(TestWorld.plain)/\(InspectViewTests.plugin)", target + ":1"])
        #expect(result.status == 1)
        #expect(CopyKit.errorLine(result).hasSuffix("cannot copy \"/opt/huge\": sparse file entries are not supported"), "\(result.stderr)")
        #expect(try BuildHarness.hasNoTags(target))
        try CopyKit.succeed(["append", "-q", "--copy-from", "\(reference):/opt/small", "--cache-dir", cache,
                             "\(TestWorld.plain)/\(InspectViewTests.plugin)", target + ":2"])
    }
}
