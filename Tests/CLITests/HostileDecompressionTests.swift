import Foundation
import Testing
import TestSupport

/// Unverified decompression: layers whose gzip trailer lies (CRC-32, ISIZE), that carry data
/// after their gzip stream, or whose tar does not match the config's diff_id are refused by
/// every command that reads layer content, with one line naming the layer; nothing is pushed.
@Suite("hostile layers: decompression", .enabled(if: TestWorld.available))
struct HostileDecompressionTests {
    static let pluginFiles: [(name: String, content: String)] = [
        ("opt/harness/bin/harness-sam-plugin", "#!/bin/sh\necho plugin\n"),
        ("opt/harness/scripts/sam-plugin.sh", "#!/bin/sh\nexec harness-sam-plugin\n"),
    ]

    /// (damage, python expression over `gz`, the error's end).
    static let damages: [(String, String, String)] = [
        ("bad CRC-32", "flip(gz, len(gz) - 8)", "the gzip CRC-32 does not match the data"),
        ("bad ISIZE", "flip(gz, len(gz) - 2)", "the gzip length (ISIZE) does not match the data"),
        ("trailing garbage", "gz + b'and then some'", "trailing data after the gzip stream (not a gzip member, after member 1)"),
    ]

    static func damaged(_ expression: String, tar: Data) throws -> Data {
        let input = NSTemporaryDirectory() + "hostile-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: input) }
        try tar.write(to: URL(fileURLWithPath: input))
        return try HostileImage.python("""
            import gzip, sys
            gz = gzip.compress(open(sys.argv[2], "rb").read(), mtime=0)
            def flip(data, at): data = bytearray(data); data[at] ^= 1; return bytes(data)
            open(sys.argv[1], "wb").write(\(expression))
            """, [input])
    }

    @Test(arguments: damages.map(\.0))
    func damagedGzipLayersAreRefused(_ damage: String) throws {
        let (_, expression, message) = try #require(Self.damages.first { $0.0 == damage })
        let tar = try HostileImage.tar(Self.pluginFiles)
        let image = try HostileImage.layout([.init(bytes: try Self.damaged(expression, tar: tar), uncompressed: tar)])
        let reference = try HostileImage.push(image, prefix: "hostile-gzip")
        // python's gzip agrees the blob is damaged.
        let python = try Command.run("python3", ["-c", "import gzip,sys; gzip.decompress(open(sys.argv[1],'rb').read())",
                                                 "\(image.layout)/blobs/sha256/\(image.layerDigests[0].dropFirst(7))"])
        #expect(python.status != 0)
        let expected = "layer 0 (\(image.layerDigests[0])): \(message)"
        for arguments in [["inspect", "--files", "0", reference], ["inspect", "--files", "all", reference], ["inspect", "--files", "0", image.location]] {
            let result = try CopyKit.samforge(arguments)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(CopyKit.errorLine(result).hasSuffix(expected), "\(arguments): \(result.stderr)")
        }
        try expectBuildAndAppendRefuse(reference, ending: expected)
    }

    /// The plugin layer is a valid gzip of a tar, but not of the tar the config names.
    @Test func layerNotMatchingItsDiffIDIsRefused() throws {
        let tar = try HostileImage.tar(Self.pluginFiles)
        let claimed = HostileImage.sha256(Data("the tar the config promised".utf8))
        let image = try HostileImage.layout([.init(bytes: try HostileImage.gzip(tar), diffID: claimed)])
        let reference = try HostileImage.push(image, prefix: "hostile-diffid")
        let expected = "layer 0 (\(image.layerDigests[0])): the uncompressed layer does not match the config's diff_id "
            + "(expected \(claimed), got \(HostileImage.sha256(tar)))"
        for files in ["0", "all"] {
            let result = try CopyKit.samforge(["inspect", "--files", files, reference])
            #expect(result.status == 1)
            #expect(CopyKit.errorLine(result).hasSuffix(expected), "\(result.stderr)")
        }
        try expectBuildAndAppendRefuse(reference, ending: expected)
    }

    /// The os-release probe verifies a layer it read to its end (os-release was not in it) and
    /// says so in a warning; inspect still shows the rest.
    @Test func osReleaseProbeVerifiesLayersItReadWhole() throws {
        let lower = try HostileImage.tar([("usr/bin/tool", "x")])
        let upper = try HostileImage.tar([("etc/os-release", "ID=amzn\nVERSION_ID=\"2\"\n")])
        let wrong = HostileImage.sha256(Data("not it".utf8))
        let image = try HostileImage.layout([.init(bytes: try HostileImage.gzip(lower), diffID: wrong),
                                             .init(bytes: try HostileImage.gzip(upper), uncompressed: upper)])
        let result = try CopyKit.samforge(["inspect", "--os-release", image.location])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("samforge: warning: cannot read /etc/os-release: layer 0 (\(image.layerDigests[0])): "
                                       + "the uncompressed layer does not match the config's diff_id"), "\(result.stderr)")
        #expect(!result.stdout.contains("OS:"))
    }

    /// `build --plugin-image` and `append --copy-from` fail with one line and push no tag.
    func expectBuildAndAppendRefuse(_ reference: String, ending expected: String) throws {
        let target = BuildHarness.newTarget("hostile-out")
        let build = try Command.samforge(try BuildHarness.arguments(plugin: String(reference.dropFirst(TestWorld.plain.count + 1)), target: target,
                                                                     dockerImage: false, extra: ["--no-docker-cli", "--quiet"]))
        #expect(build.status == 1)
        // One line besides the mirror warning every test build gets.
        #expect(build.stderr.split(separator: "\n").filter { !$0.hasPrefix("samforge: warning: ") }.count == 1, "\(build.stderr)")
        #expect(build.errorLine == "samforge: error: plugin image \(reference): \(expected)", "\(build.stderr)")
        let append = try CopyKit.samforge(["append", "-q", "--copy-from", "\(reference):/opt/harness", "--cache-dir", try CopyKit.temporaryDirectory(),
                                           "\(TestWorld.plain)/\(InspectViewTests.plugin)", target + ":append"])
        #expect(append.status == 1)
        #expect(CopyKit.errorLine(append).hasSuffix(expected), "\(append.stderr)")
        #expect(try BuildHarness.hasNoTags(target))
    }
}
