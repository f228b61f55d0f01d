import OCI
import Streams

/// Runs a publication in the one order every command and every sink shares: **content** (the
/// image by digest) → **attachments** (each artifact written by digest, then linked to its
/// subject) → **names** → **commit**. Names move last, so no tag, ref name or RepoTag ever
/// points at an image whose attachments are missing; any failure on the way (a refused
/// attachment, a signal, a full disk) aborts: nothing named, a layout or archive the command
/// created removed, an existing layout's index.json as it was.
public struct Publisher: Sendable {
    public let context: RunContext
    /// Put in front of what fails while writing to the destination (`target REPO`); not in
    /// front of a failure of the caller's own work (`make`).
    public var label: String?

    public init(context: RunContext, label: String? = nil) {
        self.context = context
        self.label = label
    }

    /// Runs `body`, its failure labelled when the publisher has a label.
    private func labelled<T>(_ body: () async throws -> T) async throws -> T {
        guard let label else { return try await body() }
        return try await step(label, body)
    }

    public func publish(_ publication: Publication, to destination: ImageDestination) async throws -> PublicationResult {
        do { return try await labelled { try await run(publication, to: destination, prefetched: nil) } } catch {
            await destination.abort()
            throw error
        }
    }

    /// Publishes what `make` makes (with a value of the caller's that comes with it), moving
    /// `blobs` of `source` to the destination while it does (a base's layers while the new
    /// layers are built and compressed): a build then takes the longer of the two, not their
    /// sum. Blobs may land before `make` fails; nothing is named, and the abort is the same.
    public func publish<Made: Sendable>(to destination: ImageDestination, prefetching blobs: [Descriptor], from source: ImageSource,
                                        _ make: @escaping @Sendable () async throws -> (Publication, Made)) async throws -> (PublicationResult, Made) {
        let tally = Tally()
        let context = self.context
        let jobs = max(1, min(context.jobs, destination.maxConcurrentBlobWrites))
        do {
            // Both at once; the first to fail cancels the other.
            let made = try await withThrowingTaskGroup(of: (Publication, Made)?.self) { group in
                group.addTask {
                    context.emit(.blobsPlanned(count: blobs.count, size: blobs.reduce(0) { $0 + max(0, $1.size) }))
                    try await labelled {
                        try await BlobTransfer(source: source, destination: destination, context: context).transferAll(blobs, jobs: jobs, tally: tally)
                    }
                    return nil
                }
                group.addTask { try await make() }
                var made: (Publication, Made)?
                for try await value in group where value != nil { made = value }
                return made
            }
            guard let (publication, value) = made else { throw CancellationError() }
            let prefetched = ImageWriter.Prefetched(digests: Set(blobs.map(\.digest)), tally: tally)
            return (try await labelled { try await run(publication, to: destination, prefetched: prefetched) }, value)
        } catch {
            await destination.abort()
            throw error
        }
    }

    private func run(_ publication: Publication, to destination: ImageDestination, prefetched: ImageWriter.Prefetched?) async throws -> PublicationResult {
        var writer = ImageWriter(source: publication.image, destination: destination, context: context,
                                 platform: publication.platform, format: publication.format)
        writer.prefetched = prefetched
        let content = try await writer.write(expecting: publication.expecting)
        let attachments = try await step("attachments (nothing was named)") {
            try await attach(publication.attesters, to: content, at: destination)
        }
        try checkStillWanted()
        try await destination.name(content.root, as: publication.names)
        for name in publication.names { context.emit(.manifestPushed(content.digest, mediaType: content.mediaType, tag: name)) }
        try checkStillWanted()
        try await destination.commit()
        return PublicationResult(content: content, attachments: attachments, names: publication.names)
    }

    /// A signal or a cancelled task stops the publication before anything is named.
    private func checkStillWanted() throws {
        try Interruption.check()
        try Task.checkCancellation()
    }
}
