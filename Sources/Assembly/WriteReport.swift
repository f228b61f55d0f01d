import Foundation
import OCI

/// What happened to one blob, manifest or attachment during a publication (progress lines).
public enum TransferEvent: Sendable {
    case blobExists(Digest, size: Int64)
    case blobMounted(Digest, size: Int64, from: String)
    case blobCopied(Digest, size: Int64)
    case manifestPushed(Digest, mediaType: String, tag: String?)
    /// An artifact (`what`: its artifact type, or the tag it goes by) made findable from `subject`.
    case attached(Digest, what: String, to: Digest)
    /// A blob starts moving; `bytesMoved` then reports each chunk of it (progress meters).
    case blobStarted(Digest, size: Int64)
    case bytesMoved(Int)
    /// Before a write's blobs move: how many there are and their bytes (a meter's total; the
    /// ones found in place, mounted or moved by an earlier write of the run count as done).
    case blobsPlanned(count: Int, size: Int64)
}

/// What a content write did: the root it wrote (by digest), every manifest with the source's
/// digest for it, and how many blobs moved.
public struct WriteReport: Sendable {
    /// The root manifest as the destination has it (an index or a manifest; converted by
    /// `--format` when asked, else the source's bytes).
    public var root: RawManifest
    public var digest: Digest { root.digest }
    public var mediaType: String { root.mediaType }
    /// The platform picked from an index (by `--platform`, or for a single-platform destination).
    public var platform: Platform?
    /// Every manifest written, the root's first (as the destination has them: converted by
    /// `--format` when asked), paired with the source's digest for it.
    public var manifests: [(source: Digest, written: Descriptor)] = []
    public var blobsCopied = 0
    public var blobsSkipped = 0
    public var blobsMounted = 0
    public var bytesCopied: Int64 = 0

    public init(root: RawManifest) {
        self.root = root
    }

    /// The descriptor the destination has for what the source calls `digest`.
    public func written(_ digest: Digest) -> Descriptor? {
        manifests.first { $0.source == digest }?.written
    }
}

/// Counts outcomes across concurrent transfers of one write.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var copied = 0, skipped = 0, mounted = 0
    private var bytes: Int64 = 0

    func record(_ event: TransferEvent) {
        lock.withLock {
            switch event {
            case .blobExists: skipped += 1
            case .blobMounted: mounted += 1
            case .blobCopied(_, let size): copied += 1; bytes += size
            case .manifestPushed, .attached, .blobStarted, .bytesMoved, .blobsPlanned: break
            }
        }
    }

    func fill(_ report: inout WriteReport) {
        lock.withLock {
            report.blobsCopied = copied
            report.blobsSkipped = skipped
            report.blobsMounted = mounted
            report.bytesCopied = bytes
        }
    }
}
