import Foundation
import Layers
import OCI
import Streams

/// Reads layers of an image entry by entry for `inspect --files` and the os-release probe:
/// the blob streams from its source into a bounded pipe, a thread decompresses it into a
/// second one, and a `LayerReader` drains that on a thread of its own (decompressing and
/// reading the tar overlap on two cores), so a 1 GB layer is listed in constant memory and
/// never stored.
public enum LayerListing {
    /// What a reading body did: read the layer to its end (the rest of the blob is then drained,
    /// so its digest is verified), or stopped early (the transfer is cancelled).
    public enum Outcome: Sendable { case finished, stoppedEarly }

    /// Thrown into the pipe to cancel the transfer once the reader has what it wanted.
    struct Stopped: Error {}

    /// Streams `layer` through a `LayerReader` handed to `body` on a reading thread. A problem
    /// with the layer's content is reported naming the layer (`index` when the caller knows it).
    /// With `diffID` (the config's), a body that reads the tar to its end has it verified.
    public static func read(_ layer: Descriptor, index: Int? = nil, diffID: Digest? = nil, from source: ImageSource,
                            _ body: @escaping @Sendable (LayerReader) throws -> Outcome) async throws {
        do {
            try await stream(layer, diffID: diffID, from: source, body)
        } catch let error as LayerError {
            if case .inLayer = error { throw error }
            throw LayerError.inLayer(index: index, digest: layer.digest, error)
        }
    }

    private static func stream(_ layer: Descriptor, diffID: Digest?, from source: ImageSource,
                               _ body: @escaping @Sendable (LayerReader) throws -> Outcome) async throws {
        let pipe = BoundedPipe(capacity: 1 << 20)
        let fetched = FetchOutcome(pipe)
        let tarPipe = BoundedPipe(capacity: 1 << 20)
        let tar = FetchOutcome(tarPipe)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Never throws: a failure (a dropped connection, a body going on past the blob's
                // size, a digest mismatch) reaches the reader after the bytes before it, so a
                // reader that stops early on good bytes still succeeds.
                do {
                    try await source.fetchBlob(layer, into: pipe)
                    fetched.end(nil)
                } catch is Stopped {
                    // The reader stopped early: not a failure.
                } catch {
                    fetched.end(error)
                }
            }
            group.addTask {
                // Never throws either: its failure (a damaged stream) reaches the reader after
                // the bytes before it. A reader that stops (or fails) stops it, and it the fetch.
                try await BlockingWork.run {
                    do {
                        try LayerCompression.decoding(fetched).pump(to: tarPipe)
                        tar.end(nil)
                    } catch is Stopped {
                        pipe.fail(Stopped())
                    } catch {
                        tar.end(error)
                        pipe.fail(error)
                    }
                }
            }
            group.addTask {
                try await BlockingWork.run {
                    do {
                        let reader = try LayerReader(source: tar, expectedDiffID: diffID, decoded: true)
                        switch try body(reader) {
                        case .finished: try tar.pump(to: DiscardingSink())
                        case .stoppedEarly: tarPipe.fail(Stopped())
                        }
                    } catch {
                        tarPipe.fail(error)
                        throw error
                    }
                }
            }
            // Not waitForAll(): it waits for every task even after one failed; leaving on the first
            // error cancels the rest (their transfers abort).
            for try await _ in group {}
        }
    }

    /// Hands every entry of one layer to `onEntry`, in tar order, as it is read.
    public static func entries(of layer: Descriptor, index: Int? = nil, diffID: Digest? = nil, from source: ImageSource,
                               _ onEntry: @escaping @Sendable (LayerEntry) throws -> Void) async throws {
        try await read(layer, index: index, diffID: diffID, from: source) { reader in
            while let entry = try reader.next() { try onEntry(entry) }
            return .finished
        }
    }

    /// The merged filesystem of `layers` (bottom first): each path with the layer it comes from.
    /// `diffIDs` (the config's, aligned with `layers`) are verified as each layer is read.
    public static func merged(_ layers: [Descriptor], diffIDs: [Digest]? = nil, from source: ImageSource,
                              onLayer: (@Sendable (Int) -> Void)? = nil) async throws -> [MergedFilesystem.Item] {
        let items = try await tree(layers, diffIDs: diffIDs, from: source, onLayer: onLayer).value.listing()
        // The tree (a node per path) is gone: its pages go back rather than sit in the arena of
        // the thread that read the layers while the caller works on the listing elsewhere.
        MemoryRelease.trim()
        return items
    }

    private static func tree(_ layers: [Descriptor], diffIDs: [Digest]?, from source: ImageSource,
                             onLayer: (@Sendable (Int) -> Void)?) async throws -> Handoff<MergedFilesystem> {
        let filesystem = Handoff(value: MergedFilesystem())
        for (index, layer) in layers.enumerated() {
            onLayer?(index)
            // One layer at a time: the filesystem is only ever touched by the current reading thread.
            let diffID = diffIDs.flatMap { index < $0.count ? $0[index] : nil }
            try await read(layer, index: index, diffID: diffID, from: source) { reader in
                try filesystem.value.apply(layerIndex: index, reader: reader)
                return .finished
            }
        }
        return filesystem
    }
}

/// The reading end of a layer's pipe: the bytes, then how the fetch ended (its error, in place
/// of the end of the stream, once the bytes before it are read).
final class FetchOutcome: ByteSource, @unchecked Sendable {
    private let pipe: BoundedPipe
    private let lock = NSLock()
    private var failure: Error?

    init(_ pipe: BoundedPipe) { self.pipe = pipe }

    func end(_ error: Error?) {
        lock.withLock { failure = error }
        pipe.finish()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try pipe.read(into: buffer)
        if count == 0, let failure = lock.withLock({ failure }) { throw failure }
        return count
    }
}
