import Layers
import OCI
import Streams

extension ResolvedImage {
    /// Streams every layer, bottom first, through a `LayerReader` into `filesystem` (`COPY --from`):
    /// the registry GET fills a bounded pipe while the reader drains it on its own thread, so
    /// neither a layer nor a temporary tar ever exists whole. Each blob is read to its end, so
    /// its digest is verified even when the tar stops early.
    public func apply(to filesystem: MergedFilesystem) async throws {
        let target = Handoff(value: filesystem)
        for (index, layer) in image.layers.enumerated() {
            let pipe = BoundedPipe(capacity: 1 << 20)
            let source = self.source
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await source.fetchBlob(layer, into: pipe)
                        pipe.finish()
                    } catch {
                        pipe.fail(error)
                        throw error
                    }
                }
                group.addTask {
                    try await BlockingWork.run {
                        do {
                            let reader = try LayerReader(source: pipe)
                            try target.value.apply(layerIndex: index, reader: reader)
                            try pipe.pump(to: DiscardingSink())
                        } catch {
                            pipe.fail(error)
                            throw error
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
