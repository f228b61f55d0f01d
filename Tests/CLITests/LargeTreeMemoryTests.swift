import Foundation
import Testing
import TestSupport

/// A SAM build image holds 60-110k files, and a plugin's scripts can too: copying, listing and
/// diffing such trees must cost memory bounded by the tree, not by a per-entry overhead. Peak
/// RSS is measured per process (GNU time around the samforge child), at 100,000 entries, and
/// the growth per entry is pinned against a run with 1,000.
@Suite("memory: trees of 100,000 entries", .enabled(if: TestWorld.available), .serialized)
struct LargeTreeMemoryTests {
    static let entries = 100_000
    /// The bound for a COPY --from of 100k entries, SBOM and provenance included.
    static let copyLimit = 150 << 20
    /// What one more entry may cost a copy (a path, a spec, a tree node, an SBOM line).
    static let perEntryLimit = 1_000
    /// Listing and diffing stay where they were before the copy work (117 MB and 136 MB
    /// measured on this fixture's kind of tree) or better.
    static let listingLimit = 117 << 20
    static let diffLimit = 136 << 20

    /// scripts/synthetic-tree-layout.py: an OCI layout of one gzip layer, `opt/tree/dNNNNN/`
    /// directories of 100 files each (about 50-byte paths, 64 bytes of content), written by
    /// python's tarfile; `plugin`: the tree is a plugin image's scripts, with its binary.
    static func layout(_ count: Int, plugin: Bool = false) throws -> String {
        let directory = try TemporaryDirectory().path + "/layout"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/synthetic-tree-layout.py").path
        let result = try Command.run("python3", [script, directory, String(count)] + (plugin ? ["--plugin"] : []))
        try #require(result.status == 0, "\(result.stderr)")
        return directory
    }

    static let small = Result { try layout(1_000) }
    static let large = Result { try layout(entries) }

    /// `append --copy-from` of the whole tree to a layout, measured; the result is validated
    /// and its new layer holds every entry.
    static func copy(_ layout: String, entries count: Int) throws -> Int {
        let directory = try TemporaryDirectory().path
        let target = "oci:\(directory)/out:copy"
        let run = try PeakMemory.samforge(["append", "-q", "--copy-from", "oci:\(layout):img:/opt/tree:/opt/copy",
                                          "--cache-dir", directory + "/cache", "scratch", target])
        try #require(run.result.status == 0, "\(run.result.stderr)")
        #expect(try ImageValidation.problem(run.result.lastLine) == nil)
        let listing = try Command.samforge(["inspect", "--files", "0", target])
        #expect(listing.stdout.split(separator: "\n").filter { $0.contains("/opt/copy/d") && $0.hasSuffix(".txt") }.count == count)
        return run.peakBytes
    }

    @Test func aCopyFromOf100kEntriesStaysUnder150MB() throws {
        let small = try Self.copy(try Self.small.get(), entries: 1_000)
        let large = try Self.copy(try Self.large.get(), entries: Self.entries)
        #expect(large < Self.copyLimit, "peak \(large >> 20) MB for \(Self.entries) entries")
        let perEntry = (large - small) / (Self.entries - 1_000)
        #expect(perEntry < Self.perEntryLimit, "\(perEntry) bytes per entry (\(small >> 20) MB for 1,000, \(large >> 20) MB for 100,000)")
    }

    /// `build` with a plugin image whose scripts hold 100k files (SBOM and provenance on).
    @Test func aBuildWhosePluginScriptsHold100kEntriesStaysUnder150MB() throws {
        let plugin = try Self.layout(Self.entries, plugin: true)
        let directory = try TemporaryDirectory().path
        let run = try PeakMemory.samforge(["build", "-q", "--sam-base-image", "\(TestWorld.plain)/\(BuildHarness.pythonBase)",
                                          "--plugin-image", "oci:\(plugin):img", "--version", "1.0.0", "--no-go-template", "--no-docker-cli",
                                          "--target-repo", "oci:\(directory)/out", "--cache-dir", directory + "/cache"])
        try #require(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.peakBytes < Self.copyLimit, "peak \(run.peakBytes >> 20) MB")
        #expect(try ImageValidation.problem(run.result.lastLine) == nil)
    }

    @Test func listingAndDiffing100kEntriesStayWhereTheyWere() throws {
        let large = try Self.large.get(), small = try Self.small.get()
        let listing = try PeakMemory.samforge(["inspect", "--files", "all", "oci:\(large):img"])
        try #require(listing.result.status == 0, "\(listing.result.stderr)")
        #expect(listing.result.stdout.split(separator: "\n").count > Self.entries)
        #expect(listing.peakBytes < Self.listingLimit, "inspect --files all: \(listing.peakBytes >> 20) MB")
        let diff = try PeakMemory.samforge(["diff", "--files", "oci:\(small):img", "oci:\(large):img"])
        try #require(diff.result.status == 0, "\(diff.result.stderr)")
        #expect(diff.result.stdout.contains("99990 only in b"), "\(diff.result.stdout.suffix(200))")
        #expect(diff.peakBytes < Self.diffLimit, "diff --files: \(diff.peakBytes >> 20) MB")
    }
}
