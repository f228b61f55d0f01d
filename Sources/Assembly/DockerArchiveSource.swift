import Foundation
import OCI
import Streams

/// An image in a `docker save` archive (`docker-archive:FILE[:REF]`). The tar is indexed once
/// (headers only); `manifest.json` picks the image (by REF, or the only one); a Docker schema2
/// manifest is rebuilt around the archive's config and layer files, which are served unchanged
/// as slices of the archive, so config and layer digests survive a round trip.
///
/// Layer digests: an uncompressed layer's digest is its diff_id (the config lists it); a
/// compressed one named `<hex>.tar.gz` / `blobs/sha256/<hex>` takes the hex of its name; any
/// other is hashed while indexing. Every digest is verified again whenever the blob is read.
public final class DockerArchiveSource: ImageSource, @unchecked Sendable {
    public let file: String
    public let reference: Reference?
    private let lock = NSLock()
    private var loaded: Loaded?

    struct Loaded {
        let manifest: RawManifest
        /// The chosen image's names in manifest.json.
        let repoTags: [String]
        /// Where each blob's bytes are inside the archive.
        let slices: [Digest: (offset: Int64, size: Int64)]
    }

    public init(file: String, reference: Reference?) {
        self.file = file
        self.reference = reference
    }

    public var description: String { "docker-archive:\(file)" + (reference.map { ":" + $0.description } ?? "") }

    public func rootManifest() async throws -> RawManifest { try await load().manifest }

    /// The names manifest.json gives the image (`RepoTags`), e.g. to recognize a SAM image.
    public func repoTags() async throws -> [String] { try await load().repoTags }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        let manifest = try await load().manifest
        guard manifest.digest == digest else { throw AssemblyError.notFound("\(description): no manifest \(digest)") }
        return manifest
    }

    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        guard let slice = try await load().slices[descriptor.digest] else {
            throw AssemblyError.notFound("\(description): blob \(descriptor.digest) is not in the archive")
        }
        let (path, what) = (file, "\(description): blob \(descriptor.digest.short)")
        try await BlockingWork.run {
            try LocalBlob.stream(path: path, offset: slice.offset, length: slice.size, expected: descriptor, into: sink, what: what)
        }
    }

    /// A slice of the archive file, once the archive has been indexed (the writer always reads
    /// the manifest first).
    public func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? {
        guard let slice = lock.withLock({ loaded?.slices[descriptor.digest] }) else { return nil }
        return try FileSource(path: file, offset: slice.offset, length: slice.size)
    }

    private func load() async throws -> Loaded {
        if let loaded = lock.withLock({ self.loaded }) { return loaded }
        let (file, reference, what) = (self.file, self.reference, description)
        let result = try await BlockingWork.run { try Self.index(file: file, reference: reference, what: what) }
        lock.withLock { loaded = result }
        return result
    }

    static func index(file: String, reference: Reference?, what: String) throws -> Loaded {
        guard LocalBlob.fileSize(file) != nil else { throw AssemblyError.notFound("\(what): no such file") }
        let tar = try TarIndex(path: file, what: what)
        let archive = try PositionalFile(path: file)

        guard let manifestMember = tar.resolve(DockerArchiveFormat.manifestFile) else {
            throw AssemblyError.invalidImage("\(what): not a docker archive (no manifest.json; the pre-1.10 format is not supported)")
        }
        guard manifestMember.size <= 16 << 20,
              let entries = try? UntrustedJSON.decode([DockerArchiveFormat.ImageEntry].self,
                                                      from: Data(archive.read(at: manifestMember.offset, count: Int(manifestMember.size)))) else {
            throw AssemblyError.invalidImage("\(what): corrupt manifest.json")
        }
        let entry = try select(entries, reference: reference, what: what)

        guard let configMember = tar.resolve(entry.Config) else {
            throw AssemblyError.invalidImage("\(what): config \(entry.Config) named by manifest.json is not in the archive")
        }
        guard configMember.size <= 16 << 20 else {
            throw AssemblyError.tooLarge(what: "\(what): config \(entry.Config)", size: configMember.size, limit: 16 << 20)
        }
        let configBytes = try archive.read(at: configMember.offset, count: Int(configMember.size))
        let diffIDs = (try? ImageConfig.decode(configBytes))?.rootfs?.diff_ids ?? []
        var slices: [Digest: (offset: Int64, size: Int64)] = [:]
        let configDigest = Digest.of(configBytes)
        slices[configDigest] = (configMember.offset, configMember.size)

        var layers: [(digest: Digest, size: Int64, compression: MediaType.Compression)] = []
        for (index, name) in entry.Layers.enumerated() {
            guard let member = tar.resolve(name) else {
                throw AssemblyError.invalidImage("\(what): layer \(name) named by manifest.json is not in the archive")
            }
            let compression = DockerArchiveFormat.compression(ofPrefix: try archive.read(at: member.offset, count: 4))
            let digest: Digest
            if compression == .none, index < diffIDs.count {
                digest = diffIDs[index]
            } else if compression != .none, let named = digestInName(name) {
                digest = named
            } else {
                let hashing = HashingSink()
                try FileSource(path: file, offset: member.offset, length: member.size).pump(to: hashing)
                digest = hashing.finalize()
            }
            slices[digest] = (member.offset, member.size)
            layers.append((digest, member.size, compression))
        }

        let flavour = DockerArchiveFormat.Flavour(oci: layers.contains { $0.compression == .zstd })
        let image = ImageManifest(mediaType: flavour.manifestType,
                                  config: Descriptor(mediaType: flavour.configType, digest: configDigest, size: Int64(configBytes.count)),
                                  layers: layers.map { Descriptor(mediaType: flavour.layerType($0.compression), digest: $0.digest, size: $0.size) })
        // The manifest's own bytes when the archive keeps them (Docker 25+, samforge), so its
        // digest is the one it had; else one rebuilt around the files.
        if let exact = try exactManifest(tar: tar, archive: archive, matching: image, what: what) {
            return Loaded(manifest: exact, repoTags: entry.RepoTags ?? [], slices: slices)
        }
        let manifest: RawManifest
        do { manifest = try RawManifest.encoding(image, mediaType: flavour.manifestType) } catch {
            throw AssemblyError.invalidImage("\(what): cannot build a manifest: \(error)")
        }
        return Loaded(manifest: manifest, repoTags: entry.RepoTags ?? [], slices: slices)
    }

    /// The image REF names (matched against RepoTags, normalized), else the only one.
    static func select(_ entries: [DockerArchiveFormat.ImageEntry], reference: Reference?, what: String) throws -> DockerArchiveFormat.ImageEntry {
        let tags = entries.flatMap { $0.RepoTags ?? [] }
        let available = tags.isEmpty ? "none" : tags.joined(separator: ", ")
        if let reference {
            guard let match = entries.first(where: { ($0.RepoTags ?? []).contains { DockerArchiveFormat.matches($0, reference) } }) else {
                throw AssemblyError.notFound("\(what): no image tagged \(DockerArchiveFormat.repoTag(reference) ?? reference.description) in the archive (available: \(available))")
            }
            return match
        }
        if entries.count == 1 { return entries[0] }
        if entries.isEmpty { throw AssemblyError.notFound("\(what): manifest.json lists no images") }
        throw AssemblyError.notFound("\(what): the archive holds \(entries.count) images; name one as docker-archive:FILE:REF (available: \(available))")
    }

    /// `<hex>.tar.gz`, `<hex>.tar.zst`, `<hex>.tar` or `blobs/sha256/<hex>`.
    static func digestInName(_ name: String) -> Digest? {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        let hex = base.prefix { $0 != "." }
        return try? Digest("sha256:" + hex)
    }
}
