import Foundation
import OCI
import Streams

/// A content-addressed directory of blobs: `root/blobs/sha256/<hex>`, filled by writing to a
/// temporary file in `root/tmp` (same filesystem, so the final rename is atomic) and committing
/// it under its digest. Readers never see a partial blob; concurrent writers of the same blob
/// simply race to an identical file.
public struct BlobCache: Sendable {
    public let root: String
    /// Where the one-line warning about a damaged cached blob goes (stderr unless replaced).
    public var warn: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data(("samforge: warning: " + message + "\n").utf8))
    }
    private var blobDirectory: String { root + "/blobs/sha256" }
    private var temporaryDirectory: String { root + "/tmp" }

    public init(root: String) throws {
        self.root = root
        for directory in [root + "/blobs/sha256", root + "/tmp"] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw LayerError.io("cannot create cache directory \(directory): \(describeSystemError(error))")
            }
        }
    }

    /// `--cache-dir` if given, else `$XDG_CACHE_HOME/samforge`, else `$HOME/.cache/samforge`.
    /// A relative XDG_CACHE_HOME is ignored, as the XDG spec requires.
    public static func defaultRoot(explicit: String?, environment: [String: String]) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/samforge" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.cache/samforge" }
        return NSTemporaryDirectory() + "samforge-cache"
    }

    public func path(for digest: Digest) -> String { blobDirectory + "/" + digest.hex }

    public func contains(_ digest: Digest) -> Bool {
        FileManager.default.fileExists(atPath: path(for: digest))
    }

    /// How errors name it (a full disk names the cache, not a temporary file in it).
    public var shownName: String { "the layer cache \(root)" }

    /// A fresh path in `root/tmp`; nothing is created there yet.
    public func makeTemporaryPath() -> String {
        temporaryDirectory + "/" + uniqueName() + ".partial"
    }

    /// Moves a finished temporary file into place under `digest` (the caller computed it while
    /// writing, so the new file is right). A blob already cached is kept only when it has the
    /// same bytes: a damaged one (a flipped bit, a truncation, a disk error) is replaced by the
    /// new file, with one warning, instead of failing every later push with a digest mismatch.
    public func commit(temporaryPath: String, digest: Digest) throws {
        let target = path(for: digest)
        if contains(digest) {
            if try Self.sameBytes(target, temporaryPath) {
                unlink(temporaryPath)
                return
            }
            warn("cached layer \(digest) was damaged; replaced it with the layer just written")
        }
        // rename(2) replaces an existing file atomically: readers see the old or the new one.
        guard rename(temporaryPath, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw LayerError.io("cannot store blob \(digest) in \(blobDirectory): \(reason)")
        }
    }

    /// Two files hold the same bytes (read side by side, a buffer at a time; an unreadable one
    /// differs). Both are usually in the page cache: the new one was just written.
    static func sameBytes(_ first: String, _ second: String) throws -> Bool {
        guard let a = try? FileSource(path: first), let b = try? FileSource(path: second), a.length == b.length else { return false }
        let size = 256 * 1024
        let left = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        let right = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { left.deallocate(); right.deallocate() }
        guard let leftBase = left.baseAddress, let rightBase = right.baseAddress else { return false }
        while true {
            try Interruption.check()
            guard let count = try? a.read(into: left), count == ((try? fill(right, count: count, from: b)) ?? -1) else { return false }
            if count == 0 { return true }
            guard memcmp(leftBase, rightBase, count) == 0 else { return false }
        }
    }

    /// Reads exactly `count` bytes (fewer only at the end).
    private static func fill(_ buffer: UnsafeMutableRawBufferPointer, count: Int, from source: FileSource) throws -> Int {
        var filled = 0
        while filled < count {
            let read = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<count]))
            if read == 0 { break }
            filled += read
        }
        return filled
    }

    /// Keeps the cache bounded: removes every blob not in `keeping`, and temporary files older
    /// than `temporaryAge` seconds (younger ones may belong to a writer running right now).
    /// Returns how many files were removed.
    @discardableResult
    public func prune(keeping: Set<Digest>, temporaryAge: TimeInterval = 3600, now: Date = Date()) throws -> Int {
        let keep = Set(keeping.map(\.hex))
        var removed = 0
        for name in try list(blobDirectory) where !keep.contains(name) {
            if try remove(blobDirectory + "/" + name) { removed += 1 }
        }
        for name in try list(temporaryDirectory) {
            let path = temporaryDirectory + "/" + name
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
            if let modified, now.timeIntervalSince(modified) < temporaryAge { continue }
            if try remove(path) { removed += 1 }
        }
        return removed
    }

    private func list(_ directory: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw LayerError.io("cannot list cache directory \(directory): \(describeSystemError(error))")
        }
    }

    /// Removes a file; a file already gone (another prune) is not an error.
    private func remove(_ path: String) throws -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw LayerError.io("cannot remove \(path): \(String(cString: strerror(errno)))")
    }
}
