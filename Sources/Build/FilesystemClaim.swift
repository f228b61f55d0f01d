import Assembly
import Foundation
import OCI

/// A layer's hold on the merged filesystems it copies from. An image's tree is let go when the
/// last layer of the run that copies from it has taken its entries: not before (a second layer
/// would stream and merge the image again), and not after (a tree of 100,000 paths is tens of MB).
final class FilesystemClaim: @unchecked Sendable {
    private let uses: [FilesystemUsers.Use]
    private let users: FilesystemUsers
    private let inputs: PlanInputs
    private let lock = NSLock()
    private var held = true

    init(claiming images: Set<ImageLocation>, of plan: ImagePlan, platform: Platform, users: FilesystemUsers, inputs: PlanInputs) {
        // Selectors as the filesystem's memo key has them: a set, sorted.
        uses = images.map { FilesystemUsers.Use(image: $0, platform: platform, selectors: Array(Set(LayerBuilder.selectors(of: plan, image: $0))).sorted()) }
        self.users = users
        self.inputs = inputs
        users.claim(uses)
    }

    /// Gives the claim up (once; later calls do nothing), letting go of every tree no other
    /// claim holds.
    func release() {
        guard lock.withLock({ defer { held = false }; return held }) else { return }
        for use in users.release(uses) {
            inputs.releaseFilesystem(use.image, platform: use.platform, selecting: use.selectors)
        }
    }
}

/// How many claims hold each merged filesystem of the run.
final class FilesystemUsers: @unchecked Sendable {
    struct Use: Hashable {
        let image: ImageLocation
        let platform: Platform
        let selectors: [String]
    }

    private let lock = NSLock()
    private var counts: [Use: Int] = [:]

    func claim(_ uses: [Use]) {
        lock.withLock { for use in uses { counts[use, default: 0] += 1 } }
    }

    /// Drops one hold on each; returns those nothing holds any more.
    func release(_ uses: [Use]) -> [Use] {
        lock.withLock {
            uses.filter { use in
                let left = (counts[use] ?? 1) - 1
                counts[use] = left > 0 ? left : nil
                return left <= 0
            }
        }
    }
}
