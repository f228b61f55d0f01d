import Foundation
import Testing
import TestSupport

/// Endless blob bodies: a registry (the fault proxy's `endless` kind) that sends a blob's bytes
/// and then never stops, and layout files longer than their descriptors. Every reader stops at
/// the descriptor's size and fails there with one line naming the blob, in flat memory; none
/// hangs (timeout(1) turns a hang into a failure).
@Suite("hostile blobs: endless bodies", .enabled(if: TestWorld.available))
struct HostileBlobTests {
    static let plugin = InspectViewTests.plugin

    /// A copy of `fixture` in a repository of its own (faults are matched on its name), seen
    /// through the plain registry's fault proxy: (proxy reference, repository, layer digests, config digest).
    static func image(_ fixture: String) throws -> (reference: String, repository: String, layers: [String], config: String) {
        let repository = TestWorld.uniqueRepository("endless")
        try CopyKit.succeed(["copy", "-q", "\(TestWorld.plain)/\(fixture)", "\(TestWorld.plain)/\(repository):1"])
        let info = try CopyKit.fixture(fixture)
        return ("\(TestWorld.plainProxy)/\(repository):1", repository, info.layers ?? [], info.config_digest ?? "")
    }

    /// samforge under timeout(1), measured (the peak covers samforge, which timeout reaps).
    static func run(_ arguments: [String]) throws -> MeasuredRun {
        try PeakMemory.run("/usr/bin/timeout", ["60", Command.samforgePath] + arguments, environment: ProcessInfo.processInfo.environment)
    }

    static func expectStopped(_ run: MeasuredRun, blob: String, size: Int, _ what: String) {
        #expect(run.result.status == 1, "\(what): exit \(run.result.status) (124: it hung): \(run.result.stderr)")
        #expect(CopyKit.errorLine(run.result).contains("download of blob \(blob) from ")
                && CopyKit.errorLine(run.result).hasSuffix("invalid response: the body goes on past the \(size) bytes the manifest gives"),
                "\(what): \(run.result.stderr)")
        #expect(run.peakBytes < 128 << 20, "\(what): \(run.peakBytes >> 20) MB")
    }

    static func size(of digest: String, in repository: String) throws -> Int {
        let manifest = try BuildHarness.rawManifest("\(TestWorld.plain)/\(repository):1")
        let layers = (manifest["layers"] as? [[String: Any]]) ?? []
        let config = manifest["config"] as? [String: Any]
        return (layers + [config ?? [:]]).first { $0["digest"] as? String == digest }?["size"] as? Int ?? -1
    }

    /// Every command that reads a layer's content, and the copier, against an endless layer.
    @Test func endlessLayersStopAtTheirSize() throws {
        let image = try Self.image(Self.plugin)
        let layer = try #require(image.layers.last)
        let size = try Self.size(of: layer, in: image.repository)
        try FaultProxy().arm("endless", match: "\(image.repository)/blobs/\(layer)", count: 50)
        let last = String(image.layers.count - 1)
        Self.expectStopped(try Self.run(["inspect", "--files", last, image.reference]), blob: layer, size: size, "inspect --files N")
        Self.expectStopped(try Self.run(["inspect", "--files", "all", image.reference]), blob: layer, size: size, "inspect --files all")
        Self.expectStopped(try Self.run(try BuildHarness.arguments(plugin: String(image.reference.dropFirst(TestWorld.plainProxy.count + 1)),
                                                                   target: BuildHarness.newTarget("endless-build"), host: TestWorld.plainProxy,
                                                                   dockerImage: false, extra: ["--no-docker-cli", "--insecure-registry", TestWorld.plainProxy])),
                           blob: layer, size: size, "build --plugin-image")
        let target = CopyKit.newRepository("endless-copy")
        Self.expectStopped(try Self.run(["copy", "-q", image.reference, target + ":1"]), blob: layer, size: size, "copy")
        #expect(try BuildHarness.hasNoTags(target))
    }

    @Test func endlessConfigStopsAtItsSize() throws {
        let image = try Self.image(Self.plugin)
        let size = try Self.size(of: image.config, in: image.repository)
        try FaultProxy().arm("endless", match: "\(image.repository)/blobs/\(image.config)", count: 10)
        Self.expectStopped(try Self.run(["inspect", image.reference]), blob: image.config, size: size, "inspect (config)")
    }

    /// The os-release probe stops reading as soon as it has the file: an endless base layer
    /// costs it nothing (the transfer is cancelled, and nothing is claimed about the rest).
    @Test func osReleaseProbeStopsEarly() throws {
        let image = try Self.image(CopyTests.nodeAMD64)
        let base = try #require(image.layers.first)
        try FaultProxy().arm("endless", match: "\(image.repository)/blobs/\(base)", count: 10)
        let run = try Self.run(["inspect", "--os-release", image.reference])
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.result.stdout.contains("OS:           Amazon Linux 2 (/etc/os-release in layer 0)"), "\(run.result.stdout)")
    }

    /// Layout files longer than their descriptors: garbage appended, and a sparse 64 GiB tail
    /// (read to its end, it would take minutes); each fails at the first byte past the size.
    @Test(arguments: ["garbage", "sparse"])
    func layoutFilesLongerThanTheirDescriptorsStopThere(_ kind: String) throws {
        let tar = try HostileImage.tar([("etc/motd", "hello\n")])
        let blob = try HostileImage.gzip(tar)
        let image = try HostileImage.layout([.init(bytes: blob, uncompressed: tar)])
        let path = "\(image.layout)/blobs/sha256/\(image.layerDigests[0].dropFirst(7))"
        if kind == "garbage" {
            _ = try CopyKit.shell("head -c 3145728 /dev/urandom >> \"$1\"", [path])
        } else {
            _ = try CopyKit.shell("truncate -s +64G \"$1\"", [path])
        }
        for arguments in [["inspect", "--files", "0", image.location], ["inspect", "--files", "all", image.location]] {
            let run = try Self.run(arguments)
            #expect(run.result.status == 1, "\(arguments): \(run.result.stderr)")
            #expect(CopyKit.errorLine(run.result).hasSuffix("the file goes on past the \(blob.count) bytes of its descriptor (\(image.layerDigests[0]))"),
                    "\(run.result.stderr)")
        }
    }
}
