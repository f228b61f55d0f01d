import Layers
import OCI
import Streams

extension ResolvedImage {
    /// Streams every layer, bottom first, into `filesystem` (`COPY --from`) through
    /// `LayerListing`, so neither a layer nor a temporary tar ever exists whole. Each blob is
    /// read to its end, so its digest is verified even when the tar stops early.
    public func apply(to filesystem: MergedFilesystem) async throws {
        let target = Handoff(value: filesystem)
        for (index, layer) in image.layers.enumerated() {
            try await LayerListing.read(layer, index: index, from: source) { reader in
                try target.value.apply(layerIndex: index, reader: reader)
                return .finished
            }
        }
    }
}
