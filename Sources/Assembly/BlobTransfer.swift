import OCI
import Streams

/// Moves blobs from a source to a destination: skip what is there (HEAD), mount within a
/// registry, else stream through a bounded pipe (GET and upload run concurrently, memory
/// stays at the pipe's capacity whatever the blob's size).
struct BlobTransfer: Sendable {
    let source: ImageSource
    let destination: ImageDestination
    let onEvent: (@Sendable (TransferEvent) -> Void)?

    func transferAll(_ blobs: [Descriptor], jobs: Int, tally: Tally) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for blob in blobs where tally.claim(blob.digest) {
                if running >= jobs {
                    try await group.next()
                    running -= 1
                }
                group.addTask {
                    let event = try await transfer(blob)
                    tally.record(event)
                    onEvent?(event)
                }
                running += 1
            }
            // Not waitForAll(): it waits for every task even after one failed; leaving on the first
            // error cancels the rest (their transfers abort).
            for try await _ in group {}
        }
    }

    /// Within one retry budget per blob (`BlobRetry`): a restart checks again what is there.
    func transfer(_ blob: Descriptor) async throws -> TransferEvent {
        try await BlobRetry(source: source, destination: destination).run(blob) { try await transferOnce(blob) }
    }

    private func transferOnce(_ blob: Descriptor) async throws -> TransferEvent {
        if try await destination.hasBlob(blob) { return .blobExists(blob.digest, size: blob.size) }
        if let target = destination as? RegistryDestination, let from = source.repository,
           let to = target.repository, from.host == to.host, from.name != to.name,
           try await target.mountBlob(blob, from: from) {
            return .blobMounted(blob.digest, size: blob.size, from: from.name)
        }
        try await stream(blob)
        return .blobCopied(blob.digest, size: blob.size)
    }

    /// GET into a pipe while the upload reads from it; whichever side fails first fails the
    /// pipe, which stops the other. So does cancellation (a sibling transfer failed): both
    /// transfers then abort from their next libcurl callback instead of running to the end.
    func stream(_ blob: Descriptor) async throws {
        let pipe = BoundedPipe(capacity: 1 << 20)
        onEvent?(.blobStarted(blob.digest, size: blob.size))
        // Every source verifies the digest at the end of fetchBlob; the last byte waits for it,
        // so the upload (which then need not hash again) can only complete with verified bytes.
        let holdback = FinalByteHoldback(pipe, size: blob.size, what: "\(source.description): blob \(blob.digest)")
        let sink: ByteSink = onEvent.map { report in ObservingSink(holdback) { report(.bytesMoved($0)) } } ?? holdback
        try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await source.fetchBlob(blob, into: sink)
                        try holdback.release()
                        pipe.finish()
                    } catch {
                        pipe.fail(error)
                        throw error
                    }
                }
                group.addTask {
                    do {
                        try await destination.putBlob(blob, from: VerifiedPipeReader(pipe))
                        // The destination took the blob's size in bytes; a source sending more
                        // would otherwise wait forever on the full pipe.
                        pipe.fail(AssemblyError.invalidImage("\(source.description): blob \(blob.digest) is longer than its \(blob.size) bytes"))
                    } catch {
                        pipe.fail(error)
                        throw error
                    }
                }
                // Not waitForAll(): it waits for every task even after one failed; leaving on the first
                // error cancels the rest (their transfers abort).
                for try await _ in group {}
            }
        } onCancel: {
            pipe.fail(CancellationError())
        }
    }
}

/// The reading end of the pipe between a source's fetch and a destination's upload, marked as
/// verified before its end (see `FinalByteHoldback`).
final class VerifiedPipeReader: VerifiedBeforeEndSource, @unchecked Sendable {
    private let pipe: BoundedPipe
    init(_ pipe: BoundedPipe) { self.pipe = pipe }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try pipe.read(into: buffer) }
}
