import Foundation
import Testing
import TestSupport

/// A damaged cache blob once failed every later build with `digest mismatch` until the cache
/// was deleted by hand. The next run writes the layer again, replaces the damaged file with
/// one warning, and pushes the same digest.
@Suite("cache: a damaged blob heals", .enabled(if: TestWorld.available))
struct CacheHealingTests {
    /// Flips one byte in the middle of every cached blob.
    static func damage(_ cache: String) throws -> Int {
        let blobs = cache + "/blobs/sha256"
        let names = try FileManager.default.contentsOfDirectory(atPath: blobs)
        for name in names {
            _ = try CopyKit.shell("""
                python3 -c 'import sys; p = sys.argv[1]; d = bytearray(open(p, "rb").read()); d[len(d) // 2] ^= 0x40; open(p, "wb").write(d)' "$1"
                """, [blobs + "/" + name])
            #expect(try CopyKit.shell("sha256sum \"$1\"", [blobs + "/" + name]).prefix(64) != name.prefix(64))
        }
        return names.count
    }

    static func expectHealed(_ first: CommandResult, _ second: CommandResult, cache: String, blobs: Int) throws {
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.lastLine.split(separator: "@").last == first.lastLine.split(separator: "@").last, "\(second.stdout)")
        let warnings = second.stderr.split(separator: "\n").filter { $0.contains("was damaged; replaced it with the layer just written") }
        #expect(warnings.count == blobs, "\(second.stderr)")
        #expect(warnings.allSatisfy { $0.hasPrefix("samforge: warning: cached layer sha256:") })
        for name in try FileManager.default.contentsOfDirectory(atPath: cache + "/blobs/sha256") {
            #expect(try CopyKit.shell("sha256sum \"$1\"", [cache + "/blobs/sha256/" + name]).prefix(64) == name.prefix(64))
        }
    }

    @Test func appendHealsADamagedLayer() throws {
        let directory = try CopyKit.temporaryDirectory()
        let cache = directory + "/cache"
        _ = try CopyKit.shell("head -c 3000000 /dev/urandom > \"$1\"", [directory + "/payload"])
        let target = CopyKit.newRepository("heal-append")
        let arguments = ["append", "-q", "--file", directory + "/payload:/opt/payload", "--cache-dir", cache,
                         "\(TestWorld.plain)/\(InspectViewTests.plugin)"]
        let environment = ["SOURCE_DATE_EPOCH": "1700000000"]
        let first = try CopyKit.succeed(arguments + [target + ":1"], environment: environment)
        let blobs = try Self.damage(cache)
        #expect(blobs == 1)
        let second = try CopyKit.samforge(arguments + [target + ":2"], environment: environment)
        try Self.expectHealed(first, second, cache: cache, blobs: blobs)
    }

    @Test func buildHealsItsDamagedLayers() throws {
        let cache = try CopyKit.temporaryDirectory() + "/cache"
        var arguments = try BuildHarness.arguments(target: BuildHarness.newTarget("heal-build"), extra: ["--quiet"])
        let flag = try #require(arguments.firstIndex(of: "--cache-dir"))
        arguments[flag + 1] = cache
        let environment = ["SOURCE_DATE_EPOCH": BuildHarness.epoch]
        let first = try CopyKit.succeed(arguments, environment: environment)
        let blobs = try Self.damage(cache)
        #expect(blobs == 2)  // the plugin layer and the tools layer
        let second = try CopyKit.samforge(arguments, environment: environment)
        try Self.expectHealed(first, second, cache: cache, blobs: blobs)
    }
}
