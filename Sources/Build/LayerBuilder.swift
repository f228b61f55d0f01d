import Assembly
import Foundation
import Layers
import OCI
import Streams

/// Writes the layers of plans into the cache: one `LayerWriter` pass per layer, each distinct
/// layer (same operations on the same resolved inputs) written once per run, whichever base
/// or platform asks for it again.
final class LayerBuilder: @unchecked Sendable {
    let inputs: PlanInputs
    private let written = Memo<NewLayer>()
    private let filesystemUsers = FilesystemUsers()
    /// Content written into a new layer so far (label, bytes, of bytes), as it is compressed.
    var onContent: (@Sendable (String, Int64, Int64) -> Void)?

    init(inputs: PlanInputs) {
        self.inputs = inputs
    }

    /// Layers built at once, each holding a merged tree or a compressor: one per core and one
    /// more, so reading one layer's image overlaps with compressing another's.
    static let width = ProcessInfo.processInfo.activeProcessorCount + 1

    /// Every layer of `plan` for `platform`, in order, built side by side: reading one layer's
    /// image (decompressing, merging) overlaps with compressing another's files on two cores,
    /// as the plugin files and the docker CLI of `build` do. The first failure cancels the
    /// layers still running (their downloads stop) and starts no more; the error reported is
    /// the first in plan order that is not such a cancellation.
    func layers(of plan: ImagePlan, platform: Platform) async throws -> [NewLayer] {
        let layers = plan.layers
        let claims = layers.map { layer in
            FilesystemClaim(claiming: Set(layer.operations.compactMap { operation -> ImageLocation? in
                if case .copy(let copy) = operation { return copy.image }
                return nil
            }), of: plan, platform: platform, users: filesystemUsers, inputs: inputs)
        }
        let results = await withTaskGroup(of: (Int, Result<NewLayer, any Error>).self) { group in
            func start(_ index: Int) {
                group.addTask { [self] in
                    defer { claims[index].release() }
                    do { return (index, .success(try await layer(layers[index], of: plan, platform: platform, claim: claims[index]))) } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Result<NewLayer, any Error>?](repeating: nil, count: layers.count)
            var next = 0, failed = false
            while next < min(layers.count, Self.width) { start(next); next += 1 }
            while let (index, result) = await group.next() {
                results[index] = result
                if case .failure = result, !failed {
                    failed = true
                    group.cancelAll()
                } else if !failed, next < layers.count {
                    start(next)
                    next += 1
                }
            }
            return results
        }
        // Layers never started keep their claims: released here, so no tree outlives the run's need.
        claims.forEach { $0.release() }
        let failures = results.compactMap { result -> (any Error)? in
            if case .failure(let error) = result { return error }
            return nil
        }
        if let failure = failures.first(where: { errorKind(of: $0) != .interrupted }) ?? failures.first { throw failure }
        return results.compactMap { result in
            if case .success(let layer) = result { return layer }
            return nil
        }
    }

    /// `layer` of `plan` for `platform`. `selectors`: every path the plan takes from each image,
    /// so an image's layers are streamed once for all of them.
    func layer(_ layer: ImagePlan.Layer, of plan: ImagePlan, platform: Platform, claim: FilesystemClaim? = nil) async throws -> NewLayer {
        // Images by their image ID (config digest): it names the filesystem, wherever it is read from.
        var digests: [ImageLocation: Digest] = [:]
        for case .copy(let copy) in layer.operations {
            digests[copy.image] = try await inputs.image(copy.image, platform: platform, role: copy.role).image.config.digest
        }
        for case .imageID(let location) in layer.history where digests[location] == nil {
            digests[location] = try await inputs.image(location, platform: platform, role: "image").image.config.digest
        }
        let history = layer.history.map { part -> String in
            switch part {
            case .text(let text): return text
            case .imageID(let location): return digests[location]?.description ?? ""
            }
        }.joined()
        let key = Self.key(layer, digests: digests, history: history, mtime: plan.mtime) + "\ncompression \(plan.compression)"
        // A layer another plan is writing already needs none of this plan's trees for it.
        return try await written.value(key, joined: { claim?.release() }) { [self] in
            let durable = try await durableKey(layer, key: key)
            let records = inputs.workspace.layerRecords
            // Reading the record and hashing its blob again is blocking work (a layer can be
            // hundreds of MB): off the cooperative pool.
            if let durable, let cached = try await BlockingWork.run({ records.load(durable) }) {
                claim?.release()
                inputs.progress?("layer \(cached.digest.short) \(layer.label) (\(humanSize(cached.size)), unchanged: from the cache)")
                return cached
            }
            var writer = LayerWriter(mtime: plan.mtime, compression: plan.compression)
            if let onContent { writer.onProgress = { onContent(layer.label, $0, $1) } }
            try writer.add(contentsOf: try await entries(of: layer, plan: plan, platform: platform))
            // The specs hold what they copied (staged content keeps its spool): the merged
            // trees can go before the layer is written, once no other layer still needs them.
            claim?.release()
            let finished = writer
            let cache = inputs.workspace.cache
            let result = try await BlockingWork.run {
                defer { MemoryRelease.trim() }  // the trees and the plan are gone
                return try finished.write(into: cache)
            }
            let compression = result.compression == .gzip ? "" : ", \(result.compression)"
            inputs.progress?("layer \(result.digest.short) \(layer.label) (\(humanSize(result.size))\(compression))")
            let built = NewLayer(digest: result.digest, diffID: result.diffID, size: result.size, path: result.path,
                                 history: ImageConfig.History(created_by: history, comment: layer.comment), files: result.files,
                                 compression: result.compression)
            if let durable { try await BlockingWork.run { records.store(built, for: durable) } }
            return built
        }
    }

    /// The layer's key with every file input by its content (SHA-256, and its own mode when
    /// the plan gives none), so it names the layer across runs; nil for a layer that takes a
    /// local tree (its hard links are not in its digest): that one is written every run.
    private func durableKey(_ layer: ImagePlan.Layer, key: String) async throws -> String? {
        var lines = [key]
        for case .file(let file) in layer.operations {
            if case .local(let path) = file.input, LocalTree.isDirectory(path) { return nil }
            let content = try await step(file.role) { try await inputs.sha256(of: file.input, role: file.role) }
            var mode = file.mode ?? 0o644
            if file.mode == nil, file.input.isLocal { mode = try Self.permissions(of: try await inputs.localFile(file.input, role: file.role)) }
            lines.append("content \(file.input.description) \(content) \(mode)")
        }
        return lines.joined(separator: "\n")
    }

    /// The layer's entries, operation after operation (a later one wins for the same path),
    /// then `chmod +x` applied (the writer restores hard links).
    func entries(of layer: ImagePlan.Layer, plan: ImagePlan, platform: Platform) async throws -> [LayerEntrySpec] {
        var entries = LayerEntries()
        for operation in layer.operations {
            switch operation {
            case .directory(let path, let mode):
                try entries.set(.directory(path, mode: mode))
            case .file(let file) where file.input.isLocal && LocalTree.isDirectory(file.input.description):
                // A tree: its files may share inodes (hard links), which the layer keeps.
                for spec in try await BlockingWork.run({ try LocalTree.specs(file.input.description, destination: file.destination,
                                                                                 mode: file.mode, source: file.role) }) {
                    try entries.set(spec, fromTree: true)
                }
            case .file(let file):
                let path = try await localPath(of: file)
                let mode = try file.mode ?? (file.input.isLocal ? Self.permissions(of: path) : 0o644)
                try entries.set(.file(file.destination, mode: mode, from: path))
            case .copy(let copy):
                let filesystem = try await inputs.filesystem(copy.image, platform: platform, selecting: Self.selectors(of: plan, image: copy.image),
                                                             role: copy.role)
                let source = "\(copy.role) \(copy.image)"
                let copied: [LayerEntrySpec]
                do { copied = try filesystem.entries(under: copy.source, destination: copy.destination) } catch LayerError.missingPath {
                    throw BuildError.missingPath(source: source, path: copy.source)
                }
                try entries.set(contentsOf: copied, uid: 0, gid: 0)
                for path in copy.executables { try entries.requireFile(path, source: source) }
                entries.executables += copy.executables
            }
        }
        return try entries.finished()
    }

    /// The file to archive: the input itself, or for an `archiveEntry` input that is a tar,
    /// that entry unpacked.
    private func localPath(of file: ImagePlan.FileCopy) async throws -> String {
        let path = try await step(file.role) { try await inputs.localFile(file.input, role: file.role) }
        guard let entry = file.archiveEntry, try await ArchiveEntry.isArchive(path) else { return path }
        return try await ArchiveEntry.unpack(path, entry: entry, to: inputs.workspace.makePath("unpacked"), name: "\(file.role) \(file.input)")
    }

    /// Every path the plan copies from `image`.
    static func selectors(of plan: ImagePlan, image: ImageLocation) -> [String] {
        plan.layers.flatMap(\.operations).compactMap { operation in
            if case .copy(let copy) = operation, copy.image == image { return copy.source }
            return nil
        }
    }

    /// Every input of a layer, spelled out (URLs whole: two presigned URLs differ only in
    /// their query; images by the digest they resolved to).
    static func key(_ layer: ImagePlan.Layer, digests: [ImageLocation: Digest], history: String, mtime: Int64) -> String {
        var lines = ["mtime \(mtime)", "history \(history)", "comment \(layer.comment ?? "")"]
        for operation in layer.operations {
            switch operation {
            case .directory(let path, let mode): lines.append("dir \(path) \(mode)")
            case .file(let file):
                let input: String
                switch file.input {
                case .local(let path): input = "file " + path
                case .url(let url): input = "url " + url
                }
                lines.append("\(input) -> \(file.destination) \(file.mode.map(String.init) ?? "-") \(file.archiveEntry ?? "-")")
            case .copy(let copy):
                lines.append("copy \(copy.image)@\(digests[copy.image]?.description ?? "?") \(copy.source) -> \(copy.destination) +x \(copy.executables)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The permission bits of what `path` names, through symlinks (their own mode is 0777).
    static func permissions(of path: String) throws -> UInt32 {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target),
              let mode = attributes[.posixPermissions] as? Int else {
            throw BuildError.input("\(path): no such readable file")
        }
        return UInt32(mode & 0o7777)
    }
}

extension FileInput {
    var isLocal: Bool {
        if case .local = self { return true }
        return false
    }
}
