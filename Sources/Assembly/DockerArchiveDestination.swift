import Foundation
import OCI
import Streams

/// Writes one image as a `docker save` archive (`docker-archive:FILE[:REF]`), streaming: each
/// blob becomes a tar member `blobs/sha256/<hex>` whose header carries the size the descriptor
/// promises, then the bytes as they arrive (verified), so nothing is staged. The manifest goes
/// in too, with `oci-layout` and `index.json` beside `manifest.json` and `repositories`, as
/// Docker 25 and later save: loaders that read `manifest.json` (docker, podman, skopeo) find
/// the image as always, and a reader of the layout (containerd, samforge) gets the manifest's
/// exact bytes back, so the digest samforge prints is the digest the archive holds. The
/// archive is written to a temporary file next to FILE (opened with the first blob) and
/// renamed over it only at `commit()`. One blob at a time (a tar is sequential), one platform.
public final class DockerArchiveDestination: ImageDestination, @unchecked Sendable {
    public let file: String
    private let lock = NSLock()
    private var output: FileSink?
    private var written: Set<Digest> = []
    private var root: ImageManifest?
    private var rootManifest: RawManifest?
    private var repoTags: [String] = []
    private let temporaryPath: String

    public init(file: String) {
        self.file = file
        let url = URL(fileURLWithPath: file)
        temporaryPath = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".samforge-" + uniqueName() + ".partial"
    }

    public var description: String { "docker-archive:\(file)" }
    public var identity: String { "docker-archive:" + URL(fileURLWithPath: file).standardizedFileURL.path }
    public var maxConcurrentBlobWrites: Int { 1 }
    public var requiresSinglePlatform: Bool { true }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        lock.withLock { written.contains(descriptor.digest) }
    }

    public func putBlob(_ descriptor: Descriptor, from source: ByteSource, verifiedBeforeEnd: Bool) async throws {
        let name = DockerArchiveFormat.memberName(for: descriptor.digest)
        let what = "\(description): blob \(descriptor.digest.short)"
        try await BlockingWork.run { [self] in
            try lock.withLock {
                let sink = try openedOutput()
                try write(TarHeader.regularFile(name: name, size: descriptor.size), to: sink)
                // Exactly `size` bytes may follow the header: a longer source would corrupt the tar.
                let hashing = HashingSink(forwardingTo: LimitedSink(sink, limit: descriptor.size, what: what))
                try source.pump(to: hashing)
                try LocalBlob.check(hashing, against: descriptor, what: what)
                try write([UInt8](repeating: 0, count: TarHeader.padding(after: descriptor.size)), to: sink)
                written.insert(descriptor.digest)
            }
        }
    }

    public func hasManifest(_ digest: Digest) async throws -> Bool { false }

    /// The image's manifest, whose config and layers must all be in the archive already.
    public func putManifest(_ manifest: RawManifest) async throws {
        guard !manifest.isIndex else {
            throw AssemblyError.unsupported("\(description): a docker archive holds one platform's image, not an index (pick one with --platform)")
        }
        let image: ImageManifest
        do { image = try manifest.decodeManifest() } catch {
            throw AssemblyError.invalidImage("\(description): unreadable manifest \(manifest.digest.short)")
        }
        try await BlockingWork.run { [self] in
            try lock.withLock {
                for blob in [image.config] + image.layers where !written.contains(blob.digest) {
                    throw AssemblyError.invalidImage("\(description): blob \(blob.digest) was not written before its manifest")
                }
                guard root == nil else { throw AssemblyError.unsupported("\(description): a docker archive holds one image") }
                try writeMember(DockerArchiveFormat.memberName(for: manifest.digest), manifest.bytes, to: try openedOutput())
                (root, rootManifest) = (image, manifest)
            }
        }
    }

    /// `names` become the image's RepoTags (`name:tag`, as `docker images` shows them).
    public func name(_ root: RawManifest, as names: [String]) async throws {
        lock.withLock { repoTags = names }
    }

    /// Appends the layout files, manifest.json and repositories, ends the tar and renames it
    /// into place.
    public func commit() async throws {
        try await BlockingWork.run { [self] in
            try lock.withLock {
                guard let root, let rootManifest else { throw AssemblyError.invalidImage("\(description): no image was written") }
                let sink = try openedOutput()
                let layers = root.layers.map { DockerArchiveFormat.memberName(for: $0.digest) }
                let entry = DockerArchiveFormat.ImageEntry(Config: DockerArchiveFormat.memberName(for: root.config.digest),
                                                           RepoTags: repoTags, Layers: layers)
                try writeMember(OCILayout.markerFile, Array("{\"imageLayoutVersion\":\"\(OCILayout.version)\"}".utf8), to: sink)
                try writeMember(OCILayout.indexFile, DockerArchiveFormat.index(of: rootManifest, names: repoTags), to: sink)
                try writeMember(DockerArchiveFormat.manifestFile, CanonicalJSON.encode([entry]), to: sink)
                // Legacy loaders read name → tag → top layer ID; modern ones use manifest.json.
                let repositories = DockerArchiveFormat.repositories(repoTags, topLayer: root.layers.last?.digest)
                if !repositories.isEmpty {
                    try writeMember(DockerArchiveFormat.repositoriesFile, CanonicalJSON.encode(repositories), to: sink)
                }
                try write(TarHeader.trailer, to: sink)
                try sink.commit(to: file)
                output = nil
            }
        }
    }

    /// Removes the partial archive after a failed publication.
    public func abort() async {
        lock.withLock {
            output?.discard()
            output = nil
        }
    }

    private func openedOutput() throws -> FileSink {
        if let output { return output }
        let sink = try FileSink(path: temporaryPath, shownAs: file)
        output = sink
        return sink
    }

    private func writeMember(_ name: String, _ bytes: [UInt8], to sink: FileSink) throws {
        try write(TarHeader.regularFile(name: name, size: Int64(bytes.count)), to: sink)
        try write(bytes, to: sink)
        try write([UInt8](repeating: 0, count: TarHeader.padding(after: Int64(bytes.count))), to: sink)
    }

    private func write(_ bytes: [UInt8], to sink: ByteSink) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { try sink.write($0) }
    }
}

/// Refuses bytes past `limit` (the size a tar header already promised).
final class LimitedSink: ByteSink, @unchecked Sendable {
    private let downstream: ByteSink
    private let limit: Int64
    private let what: String
    private var count: Int64 = 0

    init(_ downstream: ByteSink, limit: Int64, what: String) {
        self.downstream = downstream
        self.limit = limit
        self.what = what
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard count + Int64(bytes.count) <= limit else {
            throw AssemblyError.invalidImage("\(what): more than the \(limit) bytes its descriptor declares")
        }
        count += Int64(bytes.count)
        try downstream.write(bytes)
    }
}
