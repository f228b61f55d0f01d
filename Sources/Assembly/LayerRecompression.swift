import Foundation
import Layers
import OCI
import Streams

/// The layers of `RecompressedImage`, each recompressed once: a blob streams from its source
/// into a bounded pipe while a thread decompresses it, checks its diff_id and compresses it
/// into the cache. What was recompressed is remembered in the cache (source digest → new
/// digest), so copying the same image again recompresses nothing.
struct LayerRecompression: Sendable {
    let compression: Compression
    let cache: BlobCache
    let onLayer: (@Sendable (String) -> Void)?

    /// Layers are tar streams in some compression; foreign and non-distributable layers, and
    /// anything that is not a layer (an artifact's blobs), are left as they are.
    static let tarLayerTypes: Set<String> = [
        MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd,
        MediaType.dockerLayerGzip, "application/vnd.docker.image.rootfs.diff.tar",
    ]

    /// Whether `layer` must be recompressed: a tar layer in another algorithm (or none).
    func needed(_ layer: Descriptor) -> Bool {
        guard Self.tarLayerTypes.contains(layer.mediaType) else { return false }
        switch MediaType.layerCompression(layer.mediaType) {
        case .gzip: return compression.algorithm != .gzip
        case .zstd: return compression.algorithm != .zstd
        case .none: return true
        }
    }

    /// Recompresses `layers` (with their config diff_ids), a few at a time: gzip uses one core
    /// per layer, zstd every core for one layer. Results in the same order.
    func run(_ layers: [(layer: Descriptor, diffID: Digest)], from source: ImageSource) async throws -> [Recompressor.Result] {
        let width = compression.algorithm == .zstd ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
        var results = [Recompressor.Result?](repeating: nil, count: layers.count)
        try await withThrowingTaskGroup(of: (Int, Recompressor.Result).self) { group in
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask { (index, try await recompress(layers[index].layer, diffID: layers[index].diffID, from: source)) }
            }
            while next < min(width, layers.count) { start() }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < layers.count { start() }
            }
        }
        return results.compactMap { $0 }
    }

    /// One layer: from the cache when it was recompressed before, else streamed and recompressed.
    func recompress(_ layer: Descriptor, diffID: Digest, from source: ImageSource) async throws -> Recompressor.Result {
        if let known = remembered(layer.digest) {
            onLayer?("layer \(layer.digest.short) as \(compression): \(known.digest.short) (\(humanSize(known.size)), cached)")
            return known
        }
        let pipe = BoundedPipe(capacity: 1 << 20)
        let fetched = FetchOutcome(pipe)
        let result: Recompressor.Result = try await withThrowingTaskGroup(of: Recompressor.Result?.self) { group in
            group.addTask {
                do {
                    try await source.fetchBlob(layer, into: pipe)
                    fetched.end(nil)
                } catch {
                    fetched.end(error)
                }
                return nil
            }
            group.addTask { [compression, cache] in
                try await BlockingWork.run {
                    do {
                        return try Recompressor.recompress(fetched, to: compression, expectedDiffID: diffID, into: cache)
                    } catch {
                        pipe.fail(error)
                        throw error
                    }
                }
            }
            var result: Recompressor.Result?
            for try await value in group where value != nil { result = value }
            guard let result else { throw AssemblyError.invalidImage("layer \(layer.digest): not recompressed") }
            return result
        }
        remember(layer.digest, result)
        onLayer?("layer \(layer.digest.short) as \(compression): \(result.digest.short) (\(humanSize(layer.size)) → \(humanSize(result.size)))")
        return result
    }

    /// `cache/recompressed/ALGO-LEVEL/HEX`: the blob a source layer became, while it is cached.
    private func record(_ digest: Digest) -> String {
        "\(cache.root)/recompressed/\(compression.algorithm.rawValue)-\(compression.level)/\(digest.hex)"
    }

    private func remembered(_ source: Digest) -> Recompressor.Result? {
        guard let text = try? String(contentsOfFile: record(source), encoding: .utf8) else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 2, let digest = try? Digest(String(parts[0])), let size = Int64(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        let path = cache.path(for: digest)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), (attributes[.size] as? Int).map(Int64.init) == size else { return nil }
        return Recompressor.Result(digest: digest, size: size, path: path)
    }

    private func remember(_ source: Digest, _ result: Recompressor.Result) {
        let path = record(source)
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? "\(result.digest) \(result.size)\n".write(toFile: path, atomically: true, encoding: .utf8)
    }
}
