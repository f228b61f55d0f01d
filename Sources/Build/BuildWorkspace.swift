import Foundation
import Layers
import OCI
import Streams

/// A command's corner of the cache directory (`build`, `append`): the content-addressed blob cache (new layers),
/// a private staging directory (files copied out of images, downloads), and a lock so that
/// concurrent builds sharing the cache never prune each other's fresh blobs: every build holds
/// a shared lock; only a build that can get the lock exclusively prunes.
public final class BuildWorkspace: @unchecked Sendable {
    public let cache: BlobCache
    public let root: String
    /// `root/staging/<uuid>`: removed when the build ends, whatever happened.
    public let staging: String
    private var lockDescriptor: Int32 = -1
    private let counterLock = NSLock()
    private var counter = 0

    public init(root: String) throws {
        self.root = root
        cache = try BlobCache(root: root)
        // Lock before creating anything: a pruner holding the lock exclusively may then treat
        // every staging directory it sees as a crashed build's leftovers.
        lockDescriptor = open(root + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if lockDescriptor >= 0 { _ = flock(lockDescriptor, LOCK_SH) }
        staging = root + "/staging/" + uniqueName()
        do {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        } catch {
            throw LayerError.io("cannot create \(staging): \(describeSystemError(error))")
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: staging)
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    /// What earlier runs wrote for each layer (`LayerRecords`), beside the blobs.
    var layerRecords: LayerRecords { LayerRecords(root: root, cache: cache) }

    /// A fresh path under the staging directory (nothing is created there yet).
    public func makePath(_ name: String) -> String {
        let number = counterLock.withLock {
            counter += 1
            return counter
        }
        return staging + "/\(number)-\(name)"
    }

    /// Keeps the cache bounded once the build has pushed: only `keeping` (this build's layers)
    /// survives; staging directories of crashed builds go too. Skipped while another build
    /// holds the lock.
    public func prune(keeping: Set<Digest>) throws {
        try? FileManager.default.removeItem(atPath: staging)
        guard lockDescriptor >= 0, flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else { return }
        defer { _ = flock(lockDescriptor, LOCK_SH) }
        try cache.prune(keeping: keeping)
        layerRecords.prune(keeping: keeping)
        let stagingRoot = root + "/staging"
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: stagingRoot)) ?? [] {
            try? manager.removeItem(atPath: stagingRoot + "/" + name)
        }
    }
}
