import Foundation
import OCI

/// A content-addressed directory of blobs: `root/blobs/sha256/<hex>`, filled by writing to a
/// temporary file in `root/tmp` (same filesystem, so the final rename is atomic) and committing
/// it under its digest. Readers never see a partial blob; concurrent writers of the same blob
/// simply race to an identical file.
public struct BlobCache: Sendable {
    public let root: String
    private var blobDirectory: String { root + "/blobs/sha256" }
    private var temporaryDirectory: String { root + "/tmp" }

    public init(root: String) throws {
        self.root = root
        for directory in [root + "/blobs/sha256", root + "/tmp"] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw LayerError.io("cannot create cache directory \(directory): \(error.localizedDescription)")
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

    /// A fresh path in `root/tmp`; nothing is created there yet.
    public func makeTemporaryPath() -> String {
        temporaryDirectory + "/" + UUID().uuidString.lowercased() + ".partial"
    }

    /// Moves a finished temporary file into place under `digest` (the caller computed it while
    /// writing). If the blob is already cached the temporary file is just removed.
    public func commit(temporaryPath: String, digest: Digest) throws {
        if contains(digest) {
            unlink(temporaryPath)
            return
        }
        guard rename(temporaryPath, path(for: digest)) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw LayerError.io("cannot store blob \(digest) in \(blobDirectory): \(reason)")
        }
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
            throw LayerError.io("cannot list cache directory \(directory): \(error.localizedDescription)")
        }
    }

    /// Removes a file; a file already gone (another prune) is not an error.
    private func remove(_ path: String) throws -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw LayerError.io("cannot remove \(path): \(String(cString: strerror(errno)))")
    }
}
