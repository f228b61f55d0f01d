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
