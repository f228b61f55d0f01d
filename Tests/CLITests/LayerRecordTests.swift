import Foundation
import Testing
import TestSupport

/// A re-run whose inputs have not changed takes its new layers from the cache (the records an
/// earlier run left beside the blobs): it reads no layer of the plugin or docker CLI image
/// again and gives the same digest; any change of content, mode or compression writes the
/// layer again.
@Suite("cache: unchanged layers are not written again", .enabled(if: TestWorld.available))
struct LayerRecordTests {
    /// A build through the plain registry's fault proxy, so its requests can be counted.
    func build(target: String, cache: String, extra: [String] = []) throws -> CommandResult {
        let host = TestWorld.plainProxy
        let arguments = ["build", "--sam-base-image", "\(host)/\(BuildHarness.nodeBase)", "--plugin-image", "\(host)/\(BuildHarness.plugin)",
                         "--version", "1.1.2", "--target-repo", target, "--cache-dir", cache, "--go-template", TestWorld.goTemplateURL,
                         "--docker-cli-image", "\(host)/\(BuildHarness.dockerCLI)"] + extra
        let result = try Command.samforge(arguments, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        try #require(result.status == 0, "\(result.stderr)")
        return result
    }

    func blobReads(_ proxy: FaultProxy, of repository: String) throws -> Int {
        try proxy.requests(matching: repository + "/blobs/").filter { $0.hasPrefix("GET ") }.count
    }

    @Test func anUnchangedRerunReadsNoInputLayer() throws {
        let cache = try TemporaryDirectory().path + "/cache"
        let proxy = FaultProxy()
        let target = "\(TestWorld.plainProxy)/\(TestWorld.uniqueRepository("records"))"
        let first = try build(target: target, cache: cache)
        #expect(!first.stderr.contains("from the cache"))
        let pluginBefore = try blobReads(proxy, of: "harness/aws-sam-plugin"), cliBefore = try blobReads(proxy, of: "library/docker")
        let second = try build(target: target, cache: cache)
        #expect(second.lastLine == first.lastLine)
        #expect(second.stderr.components(separatedBy: "unchanged: from the cache").count == 3, "\(second.stderr)")
        // The plugin's and the docker CLI's layers were not read again (their configs are).
        #expect(try blobReads(proxy, of: "harness/aws-sam-plugin") - pluginBefore == 1)
        #expect(try blobReads(proxy, of: "library/docker") - cliBefore == 1)
        // Another compression is another layer.
        let zstd = try build(target: target, cache: cache, extra: ["--compression", "zstd"])
        #expect(!zstd.stderr.contains("from the cache") && zstd.lastLine != first.lastLine)
    }

    @Test func aChangedFileOrModeWritesTheLayerAgain() throws {
        let directory = try TemporaryDirectory().path
        let file = directory + "/tool"
        try "v1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let target = CopyKit.newRepository("records-file")
        func append(_ tag: String) throws -> CommandResult {
            try CopyKit.succeed(["append", "--file", "\(file):/opt/tool", "--cache-dir", directory + "/cache",
                                 "\(TestWorld.plain)/\(BuildHarness.nodeBase)", "\(target):\(tag)"], environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        }
        let first = try append("1")
        #expect(try append("2").stderr.contains("from the cache"))
        try "v2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let changed = try append("3")
        #expect(!changed.stderr.contains("from the cache") && changed.lastLine.split(separator: "@").last != first.lastLine.split(separator: "@").last)
        chmod(file, 0o755)
        let moded = try append("4")
        #expect(!moded.stderr.contains("from the cache") && moded.lastLine.split(separator: "@").last != changed.lastLine.split(separator: "@").last)
    }
}
