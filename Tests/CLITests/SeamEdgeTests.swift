import Foundation
import Testing
import TestSupport

/// Where features meet, found by trying every command against every sink with a failure on
/// the way: an empty directory given as a layout, a docker archive asked to keep referrers or
/// two images, `--all-tags --json` cut short. Each case has one promise: nothing left behind,
/// nothing dropped silently, the user told in one line, and what succeeded reported.
@Suite("Seams between commands, sinks and failures", .enabled(if: TestWorld.available))
struct SeamEdgeTests {
    var plain: String { TestWorld.plain }

    /// A layout of the node base whose last layer blob is gone: reading it fails after the
    /// destination opened (its directories and marker made for the first blob).
    func layoutMissingALayer() throws -> String {
        let directory = try TemporaryDirectory().path + "/source"
        try CopyKit.succeed(["copy", "-q", "\(plain)/\(BuildHarness.nodeBase)", "oci:\(directory):1"])
        let manifest = try CopyKit.json(try CopyKit.succeed(["manifest", "oci:\(directory):1"]).stdout)
        let last = try #require(CopyKit.layerDigests(ofManifest: manifest).last)
        try FileManager.default.removeItem(atPath: "\(directory)/blobs/sha256/\(last.dropFirst(7))")
        return "oci:\(directory):1"
    }

    /// An existing empty directory is a valid new layout; a command that fails writing into it
    /// leaves it empty, not a half layout (a marker and blobs, no index.json) that every later
    /// read refuses.
    @Test(arguments: ["copy", "append"])
    func aFailedWriteIntoAnEmptyDirectoryLeavesItEmpty(_ command: String) throws {
        let source = try layoutMissingALayer()
        let empty = try TemporaryDirectory().path + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        let arguments = command == "copy" ? ["copy", "--jobs", "1", source, "oci:\(empty):1"]
            : ["append", "--jobs", "1", "--env", "A=1", source, "oci:\(empty):1"]
        let result = try Command.samforge(arguments)
        #expect(result.status == 1 && result.errorLine.hasPrefix("samforge: error: "), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty) == [], "left behind in the empty directory")
        // The same directory then takes a good image.
        let good = try CopyKit.succeed(["copy", "-q", "\(plain)/\(BuildHarness.nodeBase)", "oci:\(empty):1"])
        #expect(try CopyKit.succeed(["digest", "oci:\(empty):1"]).lastLine == String(good.lastLine.split(separator: "@").last ?? ""))
    }

    /// A docker archive keeps no referrers: copying a built image (SBOM, provenance) there says
    /// so in one line instead of dropping them silently; --no-referrers asked for none.
    @Test func aDockerArchiveSaysTheReferrersItCannotKeep() throws {
        let built = try BuildHarness.build(target: BuildHarness.newTarget("seam-archive-referrers"))
        try #require(built.status == 0, "\(built.stderr)")
        let source = try BuildHarness.taggedReference(built)
        let directory = try TemporaryDirectory().path
        let copied = try CopyKit.succeed(["copy", "--json", source, "docker-archive:\(directory)/image.tar"])
        #expect(copied.stderr.contains("referrers: 2 not copied (a docker archive keeps none: copy to a registry or an oci: layout to keep them)"),
                "\(copied.stderr)")
        #expect(try CopyKit.json(copied.stdout)["referrersCopied"] as? Int == 0)
        let asked = try CopyKit.succeed(["copy", "--no-referrers", source, "docker-archive:\(directory)/none.tar"])
        #expect(!asked.stderr.contains("referrers:"), "\(asked.stderr)")
        // A layout keeps them: the line is the archive's alone.
        let layout = try CopyKit.succeed(["copy", source, "oci:\(directory)/layout:1"])
        #expect(layout.stderr.contains("referrers: 2 copied") && !layout.stderr.contains("not copied"), "\(layout.stderr)")
    }

    /// Two bases written to one docker archive would replace each other (and the second found
    /// its blobs "written" by the first): refused before any traffic, for a matrix and for
    /// repeated --sam-base-image alike. The registry host does not answer: reaching it would
    /// be exit 1, not 2.
    @Test(arguments: ["matrix", "bases"])
    func twoImagesForOneArchiveAreRefusedBeforeAnyTraffic(_ how: String) throws {
        let directory = try TemporaryDirectory().path
        let host = "127.0.0.1:9"
        let node = "\(host)/\(BuildHarness.nodeBase)", python = "\(host)/\(BuildHarness.pythonBase)"
        var arguments = ["build", "--plugin-image", "\(host)/\(BuildHarness.plugin)", "--version", "1.1.2",
                         "--target-repo", "docker-archive:\(directory)/out.tar", "--no-go-template", "--no-docker-cli"]
        if how == "matrix" {
            try "images:\n  - \(node)\n  - \(python)\n".write(toFile: directory + "/matrix.yaml", atomically: true, encoding: .utf8)
            arguments += ["--matrix", directory + "/matrix.yaml"]
        } else {
            arguments += ["--sam-base-image", node, "--sam-base-image", python]
        }
        let result = try Command.samforge(arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.errorLine.contains("would both write docker-archive:\(directory)/out.tar, which holds one image"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/out.tar"))
        // Each its own archive is fine (refused only later, by the silent host).
        if how == "matrix" {
            try "images:\n  - \(node)\n  - sam-base-image: \(python)\n    target-repo: docker-archive:\(directory)/python.tar\n"
                .write(toFile: directory + "/matrix.yaml", atomically: true, encoding: .utf8)
            let separate = try Command.samforge(arguments + ["--retry-times", "0"])
            #expect(separate.status == 1 && !separate.stderr.contains("holds one image"), "\(separate.stderr)")
        }
    }

    /// `copy --all-tags --json` stopped by a failing tag prints the tags it copied before it
    /// (as the lines without --json do), then the error, exit 1; the failed tag is not written.
    @Test func allTagsJSONReportsWhatWasCopiedBeforeAFailure() throws {
        let source = CopyKit.newRepository("seam-all-tags")
        for tag in ["a", "b", "c"] { try CopyKit.succeed(["copy", "-q", "\(plain)/\(BuildHarness.nodeBase)", "\(source):\(tag)"]) }
        // Copied in the order the registry lists them: the last one fails.
        let order = try CopyKit.succeed(["tags", source]).stdout.split(separator: "\n").map(String.init)
        try #require(order.sorted() == ["a", "b", "c"], "\(order)")
        let proxy = try PrivateFaultProxy(upstream: plain)
        defer { proxy.stop() }
        let destination = TestWorld.uniqueRepository("seam-all-tags-dst")
        try proxy.proxy.arm("status", match: destination + "/manifests/" + order[2], count: 20, ["code": "400", "method": "PUT"])
        let result = try Command.samforge(["copy", "--all-tags", "--json", "-q", "--retry-times", "0", source, "\(proxy.address)/\(destination)"])
        #expect(result.status == 1 && result.errorLine.hasPrefix("samforge: error: "), "\(result.stderr)")
        let reported = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)")
        #expect(reported.compactMap { $0["reference"] as? String }.map { $0.split(separator: "@")[0].split(separator: ":").last.map(String.init) }
                == Array(order.prefix(2)), "\(result.stdout)")
        let tags = try CopyKit.skopeo(["list-tags", "--tls-verify=false", "docker://\(plain)/\(destination)"])["Tags"] as? [String]
        #expect(tags?.sorted() == order.prefix(2).sorted())
    }
}

/// Credentials pasted into a location (`https://user:token@host/app`, as some registries'
/// docs show URLs) are refused with what to type instead, and never shown: not by the
/// message that refuses them, nor by any command that echoes its argument. No traffic.
@Suite("Credentials in a location")
struct CredentialsInLocationTests {
    static let secret = "hunter2pw"

    @Test(arguments: [
        ["copy", "https://user:\(secret)@reg.example.com/app:1", "oci:/nonexistent/x"],
        ["copy", "oci:/nonexistent/x", "docker://user:\(secret)@reg.example.com/app:1"],
        ["inspect", "user:\(secret)@reg.example.com/app:1"],
        ["tags", "https://user:\(secret)@reg.example.com/app"],
        ["append", "--env", "A=1", "https://user:\(secret)@reg.example.com/app:1", "reg.example.com/app:2"],
        ["build", "--sam-base-image", "https://user:\(secret)@reg.example.com/sam/build-nodejs18.x:1.143.0", "--plugin-image", "a.example/p:1",
         "--version", "1", "--target-repo", "reg.example.com/app", "--no-go-template", "--no-docker-cli"],
        ["login", "https://user:\(secret)@reg.example.com"],
        ["copy", "--no-such-option=https://user:\(secret)@reg.example.com/app", "a", "b"],
    ])
    func areRefusedAndNeverShown(_ arguments: [String]) throws {
        let result = try Command.samforge(arguments, input: "")
        #expect(result.status == 2, "\(result.stderr)")
        #expect(!result.stderr.contains(Self.secret) && !result.stdout.contains(Self.secret), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1 && result.errorLine.hasPrefix("samforge: error: "), "\(result.stderr)")
        if arguments[0] != "login" && !arguments[1].hasPrefix("--no-such") {
            #expect(result.errorLine.contains("a reference takes no credentials") && result.errorLine.contains("samforge login reg.example.com"),
                    "\(result.stderr)")
        }
    }
}
