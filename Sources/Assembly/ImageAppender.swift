import OCI
import Registry
import Streams

/// What a push of a composed image did.
public struct AppendReport: Sendable {
    public var digest: Digest
    public var mediaType: String
    /// Tags the manifest was pushed under, in push order.
    public var tags: [String]
    public var blobsCopied = 0
    public var blobsSkipped = 0
    public var blobsMounted = 0
    public var bytesCopied: Int64 = 0
}

/// Pushes a `ComposedImage` to a registry repository. Base layers move with the copy engine's
/// rules (skip when present, mount from the base's repository on the same registry, else stream
/// GET→upload, never decompressed); new layers upload from their cache files; then the config.
/// Every blob is verified on its way (a HEAD with the right size, a 201 mount, or an upload the
/// registry accepted against its digest); only then does a manifest PUT happen, once per tag, so
/// a failure anywhere before leaves no tag pointing at a broken image.
public struct ImageAppender: Sendable {
    public let client: RegistryClient
    /// The target repository; its tag or digest, if any, is ignored (tags are given to `push`).
    public let repository: Reference
    public var jobs: Int
    public var onEvent: (@Sendable (TransferEvent) -> Void)?

    public init(client: RegistryClient, repository: Reference, jobs: Int = 4, onEvent: (@Sendable (TransferEvent) -> Void)? = nil) {
        self.client = client
        self.repository = Reference(registry: repository.registry, repository: repository.repository)
        self.jobs = max(1, jobs)
        self.onEvent = onEvent
    }

    public func push(_ composed: ComposedImage, base: ResolvedImage, tags: [String]) async throws -> AppendReport {
        guard !tags.isEmpty else { throw AssemblyError.invalidImage("\(repository): no tag to push") }
        let destination = RegistryDestination(client: client, reference: repository)
        let tally = Tally()
        try await BlobTransfer(source: base.source, destination: destination, onEvent: onEvent)
            .transferAll(base.image.layers, jobs: jobs, tally: tally)

        for layer in composed.newLayers where tally.claim(layer.digest) {
            let descriptor = Descriptor(mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size)
            let event: TransferEvent
            if try await destination.hasBlob(descriptor) {
                event = .blobExists(layer.digest, size: layer.size)
            } else {
                try await destination.putBlob(descriptor, from: try FileSource(path: layer.path))
                event = .blobCopied(layer.digest, size: layer.size)
            }
            tally.record(event)
            onEvent?(event)
        }

        let config = composed.image.config
        if tally.claim(config.digest) {
            let event: TransferEvent
            if try await destination.hasBlob(config) {
                event = .blobExists(config.digest, size: config.size)
            } else {
                try await destination.putBlob(config, from: MemorySource(composed.configBytes))
                event = .blobCopied(config.digest, size: config.size)
            }
            tally.record(event)
            onEvent?(event)
        }

        var pushed: [String] = []
        for tag in tags {
            try await client.putManifest(composed.manifest, to: repository.withTag(tag))
            pushed.append(tag)
            onEvent?(.manifestPushed(composed.manifest.digest, mediaType: composed.manifest.mediaType, tag: tag))
        }
        var report = AppendReport(digest: composed.manifest.digest, mediaType: composed.manifest.mediaType, tags: pushed)
        var counts = CopyReport(digest: composed.manifest.digest, mediaType: composed.manifest.mediaType)
        tally.fill(&counts)
        report.blobsCopied = counts.blobsCopied
        report.blobsSkipped = counts.blobsSkipped
        report.blobsMounted = counts.blobsMounted
        report.bytesCopied = counts.bytesCopied
        return report
    }
}
