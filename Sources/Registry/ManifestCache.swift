import Foundation
import OCI

/// The manifests a run has pulled or pushed, so each is fetched at most once per run (Docker
/// Hub counts every manifest GET as a pull): by repository and digest (immutable), and what each
/// tag named when it was read or written (a tag is read once per run; the run's own PUTs move it).
final class ManifestCache: @unchecked Sendable {
    private let lock = NSLock()
    private var byDigest: [String: RawManifest] = [:]
    private var byTag: [String: Digest] = [:]

    func manifest(_ digest: Digest, in repository: Repository) -> RawManifest? {
        lock.withLock { byDigest["\(repository)@\(digest)"] }
    }

    /// The manifest `tag` named when this run last read or wrote it.
    func manifest(tag: String, in repository: Repository) -> RawManifest? {
        lock.withLock { byTag["\(repository):\(tag)"].flatMap { byDigest["\(repository)@\($0)"] } }
    }

    func store(_ manifest: RawManifest, in repository: Repository, tag: String? = nil) {
        lock.withLock {
            byDigest["\(repository)@\(manifest.digest)"] = manifest
            if let tag { byTag["\(repository):\(tag)"] = manifest.digest }
        }
    }
}
