import Layers
import OCI
import Streams

extension ResolvedImage {
    /// Streams every layer, bottom first, into `filesystem` (`COPY --from`) through
    /// `LayerListing`, so neither a layer nor a temporary tar ever exists whole. Each blob is
    /// read to its end, so its digest is verified even when the tar stops early, and so is its
    /// uncompressed content against the config's diff_id: the files copied are the image's.
    public func apply(to filesystem: MergedFilesystem) async throws {
        let diffIDs = config.rootfs?.diff_ids ?? []
        guard diffIDs.count == image.layers.count else {
            throw AssemblyError.invalidImage("\(source.description): the config lists \(diffIDs.count) diff_ids for \(image.layers.count) layers")
        }
        let target = Handoff(value: filesystem)
        for (index, layer) in image.layers.enumerated() {
            try await LayerListing.read(layer, index: index, diffID: diffIDs[index], from: source) { reader in
                try target.value.apply(layerIndex: index, reader: reader)
                return .finished
            }
        }
    }
}
