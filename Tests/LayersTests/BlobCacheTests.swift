import Foundation
import OCI
import Testing
@testable import Layers

@Suite struct BlobCacheTests {
    @Test(arguments: [
        ("/explicit", ["XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"], "/explicit"),
        (nil, ["XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"], "/xdg/samforge"),
        (nil, ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"], "/home/u/.cache/samforge"),
        ("", ["HOME": "/home/u"], "/home/u/.cache/samforge"),
    ] as [(String?, [String: String], String)])
    func defaultRootFollowsFlagThenXDGThenHome(explicit: String?, environment: [String: String], expected: String) {
        #expect(BlobCache.defaultRoot(explicit: explicit, environment: environment) == expected)
    }

    @Test func commitMovesATemporaryFileIntoPlace() throws {
        let directory = try TemporaryDirectory()
        let cache = try BlobCache(root: directory.path + "/nested/cache")
        let digest = Digest.of(Array("hello".utf8))
        #expect(!cache.contains(digest))
        let temporary = cache.makeTemporaryPath()
        #expect(temporary.hasPrefix(cache.root + "/tmp/"))
        #expect(temporary != cache.makeTemporaryPath())
        try directory.file(String(temporary.dropFirst(directory.path.count + 1)), "hello")
        try cache.commit(temporaryPath: temporary, digest: digest)
        #expect(cache.contains(digest))
        #expect(cache.path(for: digest) == cache.root + "/blobs/sha256/" + digest.hex)
        #expect(try directory.contents(cache.path(for: digest)) == "hello")
        #expect(!FileManager.default.fileExists(atPath: temporary))

        // Committing the same blob again keeps the first copy and drops the new temporary.
        let again = cache.makeTemporaryPath()
        try directory.file(String(again.dropFirst(directory.path.count + 1)), "hello")
        try cache.commit(temporaryPath: again, digest: digest)
        #expect(!FileManager.default.fileExists(atPath: again))
        #expect(cache.contains(digest))
    }

    /// A cached blob damaged on disk (a flipped byte, cut short, grown) is replaced by the
    /// freshly written file with one warning; an intact one is kept without a word.
    @Test(arguments: ["flipped", "truncated", "grown", "intact"])
    func damagedBlobsAreReplaced(_ damage: String) throws {
        final class Warnings: @unchecked Sendable {
            let lock = NSLock()
            var lines: [String] = []
            func add(_ line: String) { lock.withLock { lines.append(line) } }
        }
        let directory = try TemporaryDirectory()
        let warnings = Warnings()
        var cache = try BlobCache(root: directory.path + "/cache")
        cache.warn = { warnings.add($0) }
        let content = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let digest = Digest.of(content)
        func commit() throws {
            let temporary = cache.makeTemporaryPath()
            try Data(content).write(to: URL(fileURLWithPath: temporary))
            try cache.commit(temporaryPath: temporary, digest: digest)
        }
        try commit()
        let path = cache.path(for: digest)
        var damaged = content
        switch damage {
        case "flipped": damaged[200_000] ^= 0x10
        case "truncated": damaged.removeLast(1000)
        case "grown": damaged += [0]
        default: break
        }
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        try commit()
        #expect(try Tool.sha256sum(path) == digest.description)
        #expect(warnings.lines == (damage == "intact" ? [] : ["cached layer \(digest) was damaged; replaced it with the layer just written"]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.root + "/tmp").isEmpty)
    }

    @Test func pruneKeepsOnlyWhatIsAskedAndFreshTemporaries() throws {
        let directory = try TemporaryDirectory()
        let cache = try BlobCache(root: directory.path)
        var digests: [Digest] = []
        for text in ["a", "b", "c"] {
            let temporary = cache.makeTemporaryPath()
            try directory.file(String(temporary.dropFirst(directory.path.count + 1)), text)
            let digest = Digest.of(Array(text.utf8))
            try cache.commit(temporaryPath: temporary, digest: digest)
            digests.append(digest)
        }
        let stale = cache.makeTemporaryPath()
        let fresh = cache.makeTemporaryPath()
        for path in [stale, fresh] { try directory.file(String(path.dropFirst(directory.path.count + 1)), "partial") }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stale)

        let removed = try cache.prune(keeping: [digests[1]])
        #expect(removed == 3)
        #expect(digests.map(cache.contains) == [false, true, false])
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: fresh))
    }
}
