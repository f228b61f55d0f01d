import Foundation
import OCI
import Streams

/// What happened to one blob or manifest during a transfer (for progress lines).
public enum TransferEvent: Sendable {
    case blobExists(Digest, size: Int64)
    case blobMounted(Digest, size: Int64, from: String)
    case blobCopied(Digest, size: Int64)
    case manifestPushed(Digest, mediaType: String, tag: String?)
    /// A blob starts streaming; `bytesMoved` then reports each chunk of it (progress meters).
    case blobStarted(Digest, size: Int64)
    case bytesMoved(Int)
}

public struct CopyOptions: Sendable {
    /// Blobs moved at once (`--jobs`); registries rate-limit unbounded parallelism.
    public var jobs: Int
    /// Copy one platform's manifest of an index instead of the whole index.
    public var platform: Platform?
    /// Rewrite manifests into this format (`--format`); nil keeps them byte for byte.
    public var format: ManifestFormat?
    public var onEvent: (@Sendable (TransferEvent) -> Void)?

    public init(jobs: Int = 4, platform: Platform? = nil, format: ManifestFormat? = nil,
                onEvent: (@Sendable (TransferEvent) -> Void)? = nil) {
        self.jobs = jobs
        self.platform = platform
        self.format = format
        self.onEvent = onEvent
    }
}

public struct CopyReport: Sendable {
    /// The digest of what the destination now names (index or manifest).
    public var digest: Digest
    public var mediaType: String
    public var blobsCopied = 0
    public var blobsSkipped = 0
    public var blobsMounted = 0
    public var bytesCopied: Int64 = 0
    /// The platform picked from an index (by `--platform`, or for a single-platform destination).
    public var platform: Platform?
}

/// Copies an image (a whole index by default) from any source to any destination: blobs
/// first (skipped when present, mounted within a registry, else streamed GET→upload with
/// digest verification, never through a temp file), child manifests next, the tag last.
public struct ImageCopier: Sendable {
    public let source: ImageSource
    public let destination: ImageDestination
    public let options: CopyOptions

    public init(source: ImageSource, destination: ImageDestination, options: CopyOptions = CopyOptions()) {
        self.source = source
        self.destination = destination
        self.options = options
    }

    /// Copies, and on failure lets the destination discard what it had written.
    public func copy() async throws -> CopyReport {
        do { return try await copyImage() } catch {
            await destination.abort()
            throw error
        }
    }

    func copyImage() async throws -> CopyReport {
        let tally = Tally()
        let root = try await source.rootManifest()
        let pushed: RawManifest
        var chosenPlatform: Platform?
        if root.isIndex {
            let index = try decodeIndex(root)
            if let child = try singleChild(of: index) {
                chosenPlatform = child.platform
                let manifest = try await source.manifest(child.digest)
                if manifest.isIndex { throw AssemblyError.unsupported("\(source.description): nested indexes are not supported") }
                pushed = try converted(manifest: manifest)
                try await copyBlobs(of: [manifest], tally: tally)
            } else {
                // Manifests are small: read them all first, so every platform's blobs share one
                // pool of transfers instead of each platform ending on a tail of idle jobs.
                var children: [RawManifest] = []
                for child in index.manifests {
                    let manifest = try await source.manifest(child.digest)
                    if manifest.isIndex { throw AssemblyError.unsupported("\(source.description): nested indexes are not supported") }
                    children.append(manifest)
                }
                let written = try children.map(converted(manifest:))
                pushed = try converted(index: root, children: Dictionary(zip(children.map(\.digest), written)) { first, _ in first })
                try await copyBlobs(of: children, tally: tally)
                for manifest in written {
                    if try await !destination.hasManifest(manifest.digest) { try await destination.putManifest(manifest) }
                    options.onEvent?(.manifestPushed(manifest.digest, mediaType: manifest.mediaType, tag: nil))
                }
            }
        } else {
            pushed = try converted(manifest: root)
            try await copyBlobs(of: [root], tally: tally)
        }
        try await destination.putRootManifest(pushed)
        options.onEvent?(.manifestPushed(pushed.digest, mediaType: pushed.mediaType, tag: nil))
        try await destination.commit()
        var report = CopyReport(digest: pushed.digest, mediaType: pushed.mediaType)
        report.platform = chosenPlatform
        tally.fill(&report)
        return report
    }

    /// `manifest` in the requested format (checked before any blob moves).
    func converted(manifest: RawManifest) throws -> RawManifest {
        try converting(manifest, what: "manifest \(manifest.digest.short)") { try $0.convert(manifest: manifest) }
    }

    func converted(index: RawManifest, children: [Digest: RawManifest]) throws -> RawManifest {
        try converting(index, what: "index") { try $0.convert(index: index, children: children) }
    }

    /// Runs a conversion when `--format` asks for one, its errors in the source's words.
    private func converting(_ raw: RawManifest, what: String, _ convert: (ManifestFormat) throws -> RawManifest) throws -> RawManifest {
        guard let format = options.format else { return raw }
        do { return try convert(format) } catch let error as ManifestFormat.ConversionError {
            throw AssemblyError.unsupported("\(source.description): \(error.message)")
        } catch {
            throw AssemblyError.invalidImage("\(source.description): unreadable \(what)")
        }
    }

    /// The child to copy instead of the whole index: the `--platform` one, or for a destination
    /// that holds one platform (a docker archive) linux/amd64, else the index's only child.
    /// nil means "copy the whole index".
    func singleChild(of index: ImageIndex) throws -> Descriptor? {
        if let platform = options.platform {
            guard let child = index.child(for: platform) else {
                throw AssemblyError.notFound("\(source.description): no \(platform) image in the index (available: \(platformList(index)))")
            }
            return child
        }
        guard destination.requiresSinglePlatform else { return nil }
        if let child = index.child(for: .linuxAMD64) { return child }
        if index.manifests.count == 1 { return index.manifests[0] }
        throw AssemblyError.notFound("\(source.description): \(destination.description) holds one platform and the index has no \(Platform.linuxAMD64) image; pick one with --platform (available: \(platformList(index)))")
    }

    func decodeIndex(_ raw: RawManifest) throws -> ImageIndex {
        do { return try raw.decodeIndex() } catch { throw AssemblyError.invalidImage("\(source.description): unreadable index") }
    }

    /// Configs and layers of the manifests, each distinct blob once, with bounded parallelism.
    func copyBlobs(of manifests: [RawManifest], tally: Tally) async throws {
        var blobs: [Descriptor] = []
        var seen: Set<Digest> = []
        for manifest in manifests {
            let image: ImageManifest
            do { image = try manifest.decodeManifest() } catch {
                throw AssemblyError.invalidImage("\(source.description): unreadable manifest \(manifest.digest.short)")
            }
            blobs += ([image.config] + image.layers).filter { seen.insert($0.digest).inserted }
        }
        try await BlobTransfer(source: source, destination: destination, onEvent: options.onEvent)
            .transferAll(blobs, jobs: max(1, min(options.jobs, destination.maxConcurrentBlobWrites)), tally: tally)
    }
}

func platformList(_ index: ImageIndex) -> String {
    let names = index.manifests.compactMap { $0.platform?.description }
    return names.isEmpty ? "none" : names.joined(separator: ", ")
}

/// Counts outcomes across concurrent transfers, and remembers which digests are done so a blob
/// shared by several platforms moves once.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var done: Set<Digest> = []
    private var copied = 0, skipped = 0, mounted = 0
    private var bytes: Int64 = 0

    /// True the first time a digest is claimed.
    func claim(_ digest: Digest) -> Bool { lock.withLock { done.insert(digest).inserted } }
    func record(_ event: TransferEvent) {
        lock.withLock {
            switch event {
            case .blobExists: skipped += 1
            case .blobMounted: mounted += 1
            case .blobCopied(_, let size): copied += 1; bytes += size
            case .manifestPushed, .blobStarted, .bytesMoved: break
            }
        }
    }
    func fill(_ report: inout CopyReport) {
        lock.withLock {
            report.blobsCopied = copied
            report.blobsSkipped = skipped
            report.blobsMounted = mounted
            report.bytesCopied = bytes
        }
    }
}
