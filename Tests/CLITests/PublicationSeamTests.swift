import Foundation
import Testing
import TestSupport

/// Where features meet, one publication's promise holds for every command and sink: the names
/// move last, after the image and its attachments; a failure or a signal leaves no name, no
/// new layout or archive, no lock or output file; the digest printed is the one a reader of
/// the destination gets back.
@Suite("One publication: names last, nothing left behind", .enabled(if: TestWorld.available))
struct PublicationSeamTests {
    var plain: String { TestWorld.plain }

    func withPlugin(_ plugin: String, _ arguments: [String]) throws -> [String] {
        var arguments = arguments
        let index = try #require(arguments.firstIndex(of: "--plugin-image"))
        arguments[index + 1] = plugin
        return arguments
    }

    func tagExists(_ reference: String) throws -> Bool {
        try BuildHarness.skopeo(["inspect", "--raw", "docker://" + reference]).status == 0
    }

    /// A built image with its SBOM and provenance, in the plain registry.
    func builtImage(_ prefix: String) throws -> (reference: String, digest: String) {
        let result = try BuildHarness.build(target: BuildHarness.newTarget(prefix))
        try #require(result.status == 0, "\(result.stderr)")
        let parts = result.lastLine.split(separator: "@").map(String.init)
        return (parts[0], parts[1])
    }

    /// The destination refuses the referrers tag index: copy ends with one line, exit 1, and
    /// the destination tag is never written (the image's blobs and manifest, unnamed, may stay).
    @Test func aRefusedAttachmentLeavesNoTag() throws {
        let (source, _) = try builtImage("seam-src")
        let repository = TestWorld.uniqueRepository("seam-refused")
        let proxy = FaultProxy()
        try proxy.arm("status", match: repository + "/manifests/sha256-", count: 20, ["code": "400", "method": "PUT"])
        let target = "\(TestWorld.plainProxy)/\(repository):1"
        let result = try Command.samforge(["copy", "--retry-times", "0", source, target])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.errorLine.hasPrefix("samforge: error: ") && result.stderr.split(separator: "\n").filter { $0.hasPrefix("samforge: error") }.count == 1)
        #expect(try !tagExists("\(plain)/\(repository):1"), "the tag was written although an attachment was refused")
    }

    /// `--format` never fails after naming: v2s2 of a build from a Docker base keeps its digest
    /// and carries the attachments byte for byte; OCI rewrites it, and the attachments (which
    /// name the old digest) are left out with a note. Both end named.
    @Test func formatConversionsNameTheImageAndSayWhatTheyLeftOut() throws {
        let (source, digest) = try builtImage("seam-format")
        let same = CopyKit.newRepository("seam-v2s2") + ":1"
        let kept = try CopyKit.succeed(["copy", "--format", "v2s2", source, same])
        #expect(kept.lastLine.hasSuffix("@" + digest))
        #expect(kept.stderr.contains("referrers: 2 copied"), "\(kept.stderr)")
        #expect(try BuildHarness.rawManifest(String(same.dropLast(2)) + ":sha256-" + digest.dropFirst(7))["manifests"] != nil)

        let rewritten = CopyKit.newRepository("seam-oci") + ":1"
        let converted = try CopyKit.succeed(["copy", "--format", "oci", source, rewritten])
        #expect(!converted.lastLine.hasSuffix("@" + digest))
        #expect(converted.stderr.contains("referrers: 2 not copied (--format rewrote the manifests they refer to)"), "\(converted.stderr)")
        #expect(try tagExists(rewritten))
    }

    /// A failed build or append leaves no new layout and no archive (nor a temporary file).
    @Test(arguments: ["oci", "docker-archive"])
    func aFailedBuildLeavesNoNewLayoutOrArchive(_ kind: String) throws {
        let directory = try TemporaryDirectory().path
        let location = kind == "oci" ? "oci:\(directory)/new/layout" : "docker-archive:\(directory)/out.tar"
        let missing = "\(plain)/\(TestWorld.uniqueRepository("no-such-plugin")):1"
        let build = try Command.samforge(try withPlugin(missing, try BuildHarness.arguments(target: location)))
        #expect(build.status == 1, "\(build.stderr)")
        let append = try Command.samforge(["append", "--copy-from", missing + ":/x", "\(plain)/\(BuildHarness.nodeBase)", location])
        #expect(append.status == 1, "\(append.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [], "left behind")
    }

    /// A signal while a copy streams into a new layout: exit 143, and the layout is gone.
    @Test func aSignalMidCopyRemovesTheLayoutItCreated() throws {
        let directory = try TemporaryDirectory().path
        let layout = directory + "/copy"
        let repository = TestWorld.uniqueRepository("seam-signal")
        try CopyKit.succeed(["copy", "-q", "\(plain)/\(BuildHarness.nodeBase)", "\(plain)/\(repository):1"])
        try FaultProxy().arm("slowbody", match: repository + "/blobs/", count: 50, ["seconds": "30"])
        let process = try Command.startSamforge(["copy", "-q", "\(TestWorld.plainProxy)/\(repository):1", "oci:\(layout)"])
        // Signal once the layout exists: blobs are landing.
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: layout) && process.isRunning { Thread.sleep(forTimeInterval: 0.02) }
        try #require(process.isRunning && FileManager.default.fileExists(atPath: layout))
        process.signal(SIGTERM)
        let result = process.finish(timeout: 60)
        #expect(result.status == 143, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: layout))
    }

    /// The digest printed for an archive is what a reader of the archive gets back, whatever the
    /// image's flavour (an OCI base's build too), and a copy out of it keeps it.
    @Test func anArchiveGivesBackTheDigestItWasWrittenWith() throws {
        let directory = try TemporaryDirectory().path
        let built = try BuildHarness.build(base: BuildHarness.pythonBase, target: "docker-archive:\(directory)/oci-base.tar")
        try #require(built.status == 0, "\(built.stderr)")
        let appended = try CopyKit.succeed(["append", "--env", "A=1", "\(plain)/\(BuildHarness.pythonBase)", "docker-archive:\(directory)/appended.tar"])
        for (result, file) in [(built, "oci-base.tar"), (appended, "appended.tar")] {
            let printed = String(result.lastLine.split(separator: "@").last ?? "")
            #expect(try CopyKit.succeed(["digest", "docker-archive:\(directory)/\(file)"]).lastLine == printed)
            let copied = try CopyKit.succeed(["copy", "-q", "docker-archive:\(directory)/\(file)", CopyKit.newRepository("from-archive") + ":1"])
            #expect(copied.lastLine.hasSuffix("@" + printed))
        }
        // Named as build names it when the location does not (docker load shows no <none>).
        #expect(appended.lastLine.hasPrefix("docker-archive:\(directory)/appended.tar:appended:latest@"), "\(appended.lastLine)")
        // A docker archive holds one platform: several are refused before any traffic.
        let several = try Command.samforge(["append", "--platform", "all", "--env", "A=1", "\(plain)/\(BuildHarness.nodeList)",
                                            "docker-archive:\(directory)/several.tar"])
        #expect(several.status == 2 && several.errorLine.contains("holds one platform"), "\(several.stderr)")
    }

    /// `build --format oci` from a Docker-schema2 base: a layout skopeo and umoci read, whose
    /// SBOM and provenance name the converted manifest; without it, one line says how.
    @Test func buildWritesTheFormatAskedAndItsAttachmentsNameIt() throws {
        let directory = try TemporaryDirectory().path
        let built = try BuildHarness.build(target: "oci:\(directory)/layout", extra: ["--format", "oci"])
        try #require(built.status == 0, "\(built.stderr)")
        let parts = built.lastLine.split(separator: "@").map(String.init)
        let inspected = try CopyKit.skopeoInspect(parts[0])
        #expect(inspected["Digest"] as? String == parts[1])
        let raw = try CopyKit.skopeoInspect(parts[0], raw: true)
        #expect(raw["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        let tag = String(parts[0].split(separator: ":").last ?? "")
        _ = try CopyKit.shell("umoci unpack --rootless --image \"$1\" \"$2\"", ["\(directory)/layout:\(tag)", directory + "/bundle"])
        #expect(FileManager.default.isExecutableFile(atPath: directory + "/bundle/rootfs/opt/harness/scripts/sam-plugin.sh"))
        let referrers = try CopyKit.succeed(["inspect", "--referrers", "--json", parts[0]]).stdout
        #expect(referrers.contains("application/spdx+json") && referrers.contains(parts[1]), "\(referrers)")

        let kept = try BuildHarness.build(target: "oci:\(directory)/docker")
        #expect(kept.status == 0 && kept.stderr.contains("Docker schema2 manifests kept as they are"), "\(kept.stderr)")
    }

    /// Side outputs come from the publication's result, after its commit: a failed command
    /// writes no --output-env, --digest-file or lock.
    @Test func aFailedCommandWritesNoSideOutput() throws {
        let directory = try TemporaryDirectory().path
        let missing = "\(plain)/\(TestWorld.uniqueRepository("absent")):1"
        let build = try Command.samforge(try withPlugin(missing, try BuildHarness.arguments(
            target: BuildHarness.newTarget("seam-outputs"), extra: ["--output-env", directory + "/env", "--lock", directory + "/lock"])))
        #expect(build.status == 1)
        let copy = try Command.samforge(["copy", missing, "oci:\(directory)/layout", "--digest-file", directory + "/digest"])
        #expect(copy.status == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [])
    }
}

/// Lock files meet failures and matrices: written only after success, merged (never shrunk),
/// untouched by a failed run, and a changed input fails every time until --update-lock.
@Suite("Lock files across failures and matrix entries", .enabled(if: TestWorld.available))
struct LockSeamTests {
    var plain: String { TestWorld.plain }

    func lockFile(_ path: String) throws -> [String: Any] {
        try CopyKit.json(try String(contentsOfFile: path, encoding: .utf8))
    }

    @Test func aChangedInputFailsEveryTimeAndTheLockStaysAsItWas() throws {
        let directory = try TemporaryDirectory().path
        let lock = directory + "/samforge.lock"
        let target = BuildHarness.newTarget("lock-changed")
        let first = try BuildHarness.build(target: target, extra: ["--lock", lock])
        try #require(first.status == 0, "\(first.stderr)")
        // The go-template download now hashes to something else than the lock says.
        let text = try String(contentsOfFile: lock, encoding: .utf8)
        let pinned = try #require(text.firstMatch(of: /"sha256" : "(sha256:[0-9a-f]{64})"/)?.1)
        let changed = text.replacingOccurrences(of: String(pinned), with: "sha256:" + String(repeating: "1", count: 64))
        try changed.write(toFile: lock, atomically: true, encoding: .utf8)
        for _ in 0..<2 {
            let refused = try BuildHarness.build(target: target, extra: ["--lock", lock])
            #expect(refused.status == 1 && refused.errorLine.contains("the lock says sha256:111"), "\(refused.stderr)")
            #expect(try String(contentsOfFile: lock, encoding: .utf8) == changed, "a failed run rewrote the lock")
        }
        let updated = try BuildHarness.build(target: target, extra: ["--lock", lock, "--update-lock"])
        #expect(updated.status == 0, "\(updated.stderr)")
        #expect(try String(contentsOfFile: lock, encoding: .utf8) == text)
        // A re-run that changes nothing leaves the file byte for byte (it is not even rewritten).
        let before = try FileManager.default.attributesOfItem(atPath: lock)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.01)
        #expect(try BuildHarness.build(target: target, extra: ["--lock", lock]).status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: lock)[.modificationDate] as? Date == before)
    }

    /// One lock for a matrix: each entry run alone (an Indexed Job's pod) updates its own pins and
    /// keeps the others'; an entry that fails adds nothing, and takes nothing away.
    @Test func matrixEntriesMergeIntoOneLock() throws {
        let directory = try TemporaryDirectory().path
        let lock = directory + "/samforge.lock"
        let matrix = directory + "/matrix.yaml"
        let node = "\(plain)/\(BuildHarness.nodeBase)", python = "\(plain)/\(BuildHarness.pythonBase)"
        try "images:\n  - \(node)\n  - \(python)\n".write(toFile: matrix, atomically: true, encoding: .utf8)
        let target = BuildHarness.newTarget("lock-matrix")
        func run(_ extra: [String]) throws -> CommandResult {
            var arguments = try BuildHarness.arguments(target: target, extra: ["--matrix", matrix, "--lock", lock] + extra)
            if let at = arguments.firstIndex(of: "--sam-base-image") { arguments.removeSubrange(at...at + 1) }
            return try Command.samforge(arguments, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        }
        let both = try run([])
        try #require(both.status == 0, "\(both.stderr)")
        let all = try lockFile(lock)
        let images = try #require(all["images"] as? [String: Any])
        #expect(images[node] != nil && images[python] != nil)

        let one = try run(["--matrix-index", "0", "--update-lock"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect((try lockFile(lock)["images"] as? [String: Any])?.keys.sorted() == images.keys.sorted(), "entry 0 alone shrank the lock")

        // Entry 1's plugin is missing now: it fails, entry 0 succeeds; the lock keeps entry 1's pins.
        try "images:\n  - \(node)\n  - sam-base-image: \(python)\n    plugin-image: \(plain)/\(TestWorld.uniqueRepository("gone")):1\n"
            .write(toFile: matrix, atomically: true, encoding: .utf8)
        let partial = try run(["--update-lock"])
        #expect(partial.status == 1, "\(partial.stderr)")
        #expect((try lockFile(lock)["images"] as? [String: Any])?[python] != nil)
    }
}
