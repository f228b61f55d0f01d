import Foundation
import Layers
import OCI
import Registry
import Streams

/// What `samforge append` puts on top of a base: files from disk and paths copied from other
/// images (Dockerfile ADD and COPY --from) as one new layer, root-owned, with the modes asked
/// for, plus config changes. The SAM recipe is one fixed plan of the same kind.
public struct AppendPlan: Sendable {
    public struct LocalFile: Sendable, Equatable {
        public var source: String
        public var destination: String
        /// nil keeps the file's own permission bits.
        public var mode: UInt32?
        public init(source: String, destination: String, mode: UInt32?) {
            self.source = source
            self.destination = destination
            self.mode = mode
        }
    }

    public struct ImageCopy: Sendable, Equatable {
        public var image: Reference
        public var source: String
        public var destination: String
        public init(image: Reference, source: String, destination: String) {
            self.image = image
            self.source = source
            self.destination = destination
        }
    }

    public var files: [LocalFile] = []
    public var copies: [ImageCopy] = []
    public var changes = ConfigChanges()
    /// Every entry's mtime (SOURCE_DATE_EPOCH, else 0): same inputs, same layer.
    public var mtime: Int64 = 0

    public init() {}

    /// Writes the new layer into `cache`; nil when the plan adds no files. Copies read each
    /// image's layers once, streaming, for all the paths taken from it.
    public func writeLayer(client: RegistryClient, platform: Platform, cache: BlobCache, staging: String) async throws -> NewLayer? {
        guard !files.isEmpty || !copies.isEmpty else { return nil }
        var writer = LayerWriter(mtime: mtime)
        var steps: [String] = []
        for file in files {
            let mode = try file.mode ?? Self.permissions(of: file.source)
            try writer.add(.file(file.destination, mode: mode, from: file.source))
            steps.append("ADD \((file.source as NSString).lastPathComponent) \(file.destination)")
        }
        let byImage = Dictionary(grouping: copies.indices, by: { copies[$0].image.description })
        for (offset, imageText) in byImage.keys.sorted().enumerated() {
            let group = byImage[imageText, default: []].map { copies[$0] }
            let reference = group[0].image
            let image = try await ResolvedImage.resolve(RegistrySource(client: client, reference: reference), platform: platform)
            let filesystem = try MergedFilesystem(selecting: group.map(\.source), stagingDirectory: staging + "/copy-\(offset)")
            try await image.apply(to: filesystem)
            for copy in group {
                let entries: [LayerEntrySpec]
                do { entries = try filesystem.entries(under: copy.source, destination: copy.destination) } catch LayerError.missingPath {
                    throw AssemblyError.notFound("\(reference): no \(copy.source) in the image")
                }
                for var entry in entries {
                    entry.uid = 0
                    entry.gid = 0
                    try writer.add(entry)
                }
                steps.append("COPY --from=\(reference.repository)@\(image.manifest.digest) \(copy.source) \(copy.destination)")
            }
        }
        let finished = writer
        let written = try await BlockingWork.run { try finished.write(into: cache) }
        return NewLayer(digest: written.digest, diffID: written.diffID, size: written.size, path: written.path,
                        history: ImageConfig.History(created_by: steps.joined(separator: " && ") + " # samforge append"))
    }

    /// The permission bits of what `path` names, through symlinks (their own mode is 0777).
    static func permissions(of path: String) throws -> UInt32 {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target),
              let mode = attributes[.posixPermissions] as? Int else {
            throw AssemblyError.notFound("\(path): no such readable file")
        }
        return UInt32(mode & 0o7777)
    }
}
