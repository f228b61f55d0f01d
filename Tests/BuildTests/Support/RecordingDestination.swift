import Foundation
import OCI
import Streams
@testable import Assembly

/// A destination that records every verb a publication calls on it, in order, and passes it
/// on to a real one (a layout); it can be told to fail the first call of one verb.
final class RecordingDestination: ImageDestination, @unchecked Sendable {
    enum Verb: String, CaseIterable, Sendable {
        case putBlob, putManifest, attachReferrers, attachTag, taggedManifest, name, commit, abort
        /// Where a verb belongs in a publication: content, attach, name, commit.
        var phase: Int {
            switch self {
            case .putBlob, .putManifest: return 0
            case .attachReferrers, .attachTag, .taggedManifest: return 1
            case .name: return 2
            case .commit: return 3
            case .abort: return 4
            }
        }
    }

    struct Injected: Error, CustomStringConvertible {
        let verb: Verb
        var description: String { "injected failure at \(verb.rawValue)" }
    }

    let inner: ImageDestination
    let failing: Verb?
    private let lock = NSLock()
    private var recorded: [(verb: Verb, detail: String)] = []
    private var failed = false

    init(_ inner: ImageDestination, failing: Verb? = nil) {
        self.inner = inner
        self.failing = failing
    }

    var calls: [(verb: Verb, detail: String)] { lock.withLock { recorded } }
    var verbs: [Verb] { calls.map(\.verb) }

    private func record(_ verb: Verb, _ detail: String) throws {
        try lock.withLock {
            recorded.append((verb, detail))
            if verb == failing, !failed {
                failed = true
                throw Injected(verb: verb)
            }
        }
    }

    var description: String { "recording " + inner.description }
    var identity: String { inner.identity }
    var mountTarget: MountOrigin? { inner.mountTarget }
    var maxConcurrentBlobWrites: Int { inner.maxConcurrentBlobWrites }
    var requiresSinglePlatform: Bool { inner.requiresSinglePlatform }
    var referrersSupport: ReferrersSupport { inner.referrersSupport }

    func hasBlob(_ descriptor: Descriptor) async throws -> Bool { try await inner.hasBlob(descriptor) }
    func putBlob(_ descriptor: Descriptor, from source: ByteSource, verifiedBeforeEnd: Bool) async throws {
        try record(.putBlob, descriptor.digest.description)
        try await inner.putBlob(descriptor, from: source, verifiedBeforeEnd: verifiedBeforeEnd)
    }
    func hasManifest(_ digest: Digest) async throws -> Bool { try await inner.hasManifest(digest) }
    func putManifest(_ manifest: RawManifest) async throws {
        try record(.putManifest, manifest.digest.description)
        try await inner.putManifest(manifest)
    }
    func attach(referrers: [Descriptor], to subject: Descriptor) async throws {
        try record(.attachReferrers, subject.digest.description)
        try await inner.attach(referrers: referrers, to: subject)
    }
    func attach(_ artifact: RawManifest, tag: String) async throws {
        try record(.attachTag, tag)
        try await inner.attach(artifact, tag: tag)
    }
    func taggedManifest(_ tag: String) async throws -> RawManifest? {
        try record(.taggedManifest, tag)
        return try await inner.taggedManifest(tag)
    }
    var existing: ImageSource? { inner.existing }
    func name(_ root: RawManifest, as names: [String]) async throws {
        try record(.name, names.joined(separator: ","))
        try await inner.name(root, as: names)
    }
    func commit() async throws {
        try record(.commit, "")
        try await inner.commit()
    }
    func abort() async {
        lock.withLock { recorded.append((.abort, "")) }
        await inner.abort()
    }

    /// Every verb in its phase's order (content, attach, name, commit), nothing after a commit.
    var inPublicationOrder: Bool {
        let phases = verbs.map(\.phase)
        return phases == phases.sorted()
    }
}
