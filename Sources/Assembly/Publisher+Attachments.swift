import OCI
import Streams

extension Publisher {
    /// Every attester's attachments, made in order (each attester sees what the earlier ones
    /// attach: a signer signs the SBOM), then written as content in waves that run at once (an
    /// artifact before any artifact whose subject it is: a registry may want the subject
    /// there first), then linked at once: the referrers of one subject in one step (one
    /// read-modify-write of a tag-schema index), each tag on its own. So attaching costs one
    /// round of small writes, however many signatures and documents there are.
    func attach(_ attesters: [Attester], to content: WriteReport, at destination: ImageDestination) async throws -> [PublishedAttachment] {
        guard destination.referrersSupport != .none, !attesters.isEmpty else { return [] }
        var published: [PublishedAttachment] = []
        var roots: [RawManifest] = []
        for attester in attesters {
            for attachment in try await attester.attachments(for: content, at: destination, earlier: published) {
                let root = try await attachment.artifact.rootManifest()
                published.append(PublishedAttachment(attachment: attachment, descriptor: Self.listing(root)))
                roots.append(root)
            }
        }
        let context = self.context
        for wave in Self.waves(published) {
            try await concurrently(wave.map { published[$0].attachment.artifact }, limit: context.jobs) { artifact in
                _ = try await ImageWriter(source: artifact, destination: destination, context: context).write()
            }
        }
        try await link(published, roots: roots, at: destination)
        for item in published { context.emit(.attached(item.descriptor.digest, what: item.kind, to: item.subject.digest)) }
        return published
    }

    /// Indexes of `published` grouped so that an artifact is in a wave before any artifact
    /// whose subject it is (one wave when none refers to another).
    static func waves(_ published: [PublishedAttachment]) -> [[Int]] {
        let artifacts = Set(published.map(\.descriptor.digest))
        var placed: [Digest: Int] = [:]
        var waves: [[Int]] = []
        for (index, item) in published.enumerated() {
            let subject = item.subject.digest
            let wave = artifacts.contains(subject) ? (placed[subject].map { $0 + 1 } ?? 0) : 0
            placed[item.descriptor.digest] = wave
            while waves.count <= wave { waves.append([]) }
            waves[wave].append(index)
        }
        return waves
    }

    /// The links, all at once: one step per subject for referrers, one per tag.
    private func link(_ published: [PublishedAttachment], roots: [RawManifest], at destination: ImageDestination) async throws {
        var subjects: [Descriptor] = []
        var referrers: [Digest: [Descriptor]] = [:]
        var tagged: [(RawManifest, String)] = []
        for (item, root) in zip(published, roots) {
            switch item.attachment.link {
            case .referrer(let subject):
                if referrers[subject.digest] == nil { subjects.append(subject) }
                referrers[subject.digest, default: []].append(item.descriptor)
            case .tag(let tag, _):
                tagged.append((root, tag))
            }
        }
        try await concurrently(subjects.map { ($0, referrers[$0.digest] ?? []) }, limit: context.jobs) { subject, listed in
            try await destination.attach(referrers: listed, to: subject)
        }
        try await concurrently(tagged, limit: context.jobs) { artifact, tag in
            try await destination.attach(artifact, tag: tag)
        }
    }

    /// Runs `body` for each item, at most `limit` at a time; the first failure cancels the rest.
    private func concurrently<Item: Sendable>(_ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for item in items {
                if running >= max(1, limit) {
                    try await group.next()
                    running -= 1
                }
                group.addTask { try await body(item) }
                running += 1
            }
            for try await _ in group {}
        }
    }

    /// How a referrers list names an artifact (OCI distribution 1.1): the manifest's
    /// descriptor with its `artifactType` (else its config's media type) and annotations.
    static func listing(_ root: RawManifest) -> Descriptor {
        var descriptor = root.descriptor()
        if root.isIndex {
            descriptor.annotations = (try? root.decodeIndex())?.annotations
        } else if let manifest = try? root.decodeManifest() {
            descriptor.artifactType = manifest.artifactType ?? manifest.config.mediaType
            descriptor.annotations = manifest.annotations
        }
        return descriptor
    }
}
