import Foundation
import Testing
import TestSupport

/// The layers of one image are built side by side; these are the seams between them. Each test
/// has its own fault proxy, so what it arms or counts is its own.
@Suite("build: layers side by side")
struct LayerSiblingTests {
    /// The plugin layer fails at once (no binary in the plugin image) while the docker CLI's
    /// layer is held mid-blob by the registry. The failure stops the sibling's download: the run
    /// ends with the plugin's line long before the stall would, and names nothing.
    @Test func aFailingLayerStopsItsSiblingsDownload() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        try proxy.proxy.arm("slowbody", match: "library/docker/blobs/", count: 50, ["seconds": "300", "method": "GET"])
        let target = BuildHarness.newTarget("sibling-stop")
        let started = Date()
        let result = try BuildHarness.build(plugin: "harness/aws-sam-plugin:no-binary", target: target, host: proxy.address)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.errorLine.contains("has no /opt/harness/bin/harness-sam-plugin"), "\(result.stderr)")
        // Bounded by the failure, not by the stall (300 s per attempt): a generous margin.
        #expect(elapsed < 120, "the run waited \(Int(elapsed)) s for a layer whose sibling had failed")
        #expect(try proxy.proxy.requests(matching: "library/docker/blobs/").contains { $0.hasPrefix("GET") },
                "the docker CLI layer never started: the test shows nothing")
        #expect(try BuildHarness.hasNoTags(target))
    }

    /// The same with local work: the tools layer compresses a 256 MB docker CLI file (seconds of
    /// gzip) when the plugin layer fails. The compression stops where it is: the layer is never
    /// finished.
    @Test func aFailingLayerStopsItsSiblingsCompression() throws {
        let directory = try TemporaryDirectory().path
        let docker = directory + "/docker"
        _ = try CopyKit.shell("head -c 268435456 /dev/urandom > \"$1\"", [docker])
        let target = BuildHarness.newTarget("sibling-stop-local")
        var arguments = try BuildHarness.arguments(plugin: "harness/aws-sam-plugin:no-binary", target: target, dockerImage: false,
                                                   extra: ["--docker-cli-file", docker])
        let cache = try #require(arguments.firstIndex(of: "--cache-dir")).advanced(by: 1)
        arguments[cache] = directory + "/cache"
        let result = try Command.samforge(arguments, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.errorLine.contains("has no /opt/harness/bin/harness-sam-plugin"), "\(result.stderr)")
        // A finished layer says so in a line of its own (`layer DIGEST client tools (SIZE)`).
        let finished = result.stderr.split(separator: "\n").filter { $0.hasPrefix("layer ") && $0.contains(" client tools (") }
        #expect(finished.isEmpty, "the sibling's layer was written to its end after the failure: \(finished)")
        #expect(try BuildHarness.hasNoTags(target))
    }

    /// Both layers of a build copy from one image (a plugin image that carries the docker CLI
    /// too): the image is streamed and merged once for both, each of its blobs fetched once.
    /// The tools layer reaches its copy late (its go-template download is held up by a proxy),
    /// after the plugin layer has taken its entries: the tree must still be there.
    @Test func twoLayersCopyingFromOneImageReadItOnce() throws {
        let directory = try TemporaryDirectory().path
        let docker = directory + "/docker"
        try "#!/bin/sh\necho docker from the plugin image\n".write(toFile: docker, atomically: true, encoding: .utf8)
        let combined = "\(TestWorld.plain)/\(TestWorld.uniqueRepository("plugin-with-docker")):1"
        try CopyKit.succeed(["append", "--file", "\(docker):/usr/local/bin/docker:0755", "--cache-dir", directory + "/cache",
                             "\(TestWorld.plain)/\(BuildHarness.plugin)", combined])
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        let repository = String(combined.dropFirst(TestWorld.plain.count + 1).dropLast(2))
        let target = BuildHarness.newTarget("sibling-once")
        let files = try PrivateFaultProxy(upstream: try #require(URL(string: TestWorld.goTemplateURL)).host! + ":\(URL(string: TestWorld.goTemplateURL)!.port!)")
        try files.proxy.arm("slowbody", match: "/go-template", count: 1, ["seconds": "3", "method": "GET"])
        var arguments = try BuildHarness.arguments(plugin: "\(repository):1", target: target, host: proxy.address,
                                                   goTemplate: "http://\(files.address)/go-template")
        let dockerFlag = try #require(arguments.firstIndex(of: "--docker-cli-image"))
        arguments[dockerFlag + 1] = "\(proxy.address)/\(repository):1"
        let result = try CopyKit.succeed(arguments, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        let gets = try proxy.proxy.requests(matching: repository + "/blobs/").filter { $0.hasPrefix("GET") }
        #expect(!gets.isEmpty)
        #expect(Set(gets).count == gets.count, "blobs fetched more than once: \(gets)")
        #expect(try files.proxy.stats()["faults"] == 1, "the download was not held up: the test shows nothing")

        // Both layers took what they copy: the plugin files, and the docker CLI from the same image.
        let manifest = try BuildHarness.json(try BuildHarness.skopeo(["inspect", "--raw", "docker://\(try BuildHarness.taggedReference(result))"]).stdout)
        let layers = try #require(manifest["layers"] as? [[String: Any]]).compactMap { $0["digest"] as? String }
        let tools = try BuildHarness.tarListing(try BuildHarness.downloadBlob(try #require(layers.last), repository: target))
        #expect(tools["usr/local/bin/docker"]?.content?.contains("docker from the plugin image") == true)
        let plugin = try BuildHarness.tarListing(try BuildHarness.downloadBlob(layers[layers.count - 2], repository: target))
        #expect(plugin["opt/harness/bin/harness-sam-plugin"]?.type == "file")
    }
}
