import OCI
import Registry
import Streams

/// Moves blobs from a source to a destination: skip what is there (HEAD), mount within a
/// registry (from the blob's own origin, or from where this run pushed it), else upload a
/// local blob directly (rewindable: an interrupted upload resumes) or stream a remote one
/// through a bounded pipe (GET and upload run concurrently, memory stays at the pipe's
/// capacity whatever the blob's size).
struct BlobTransfer: Sendable {
    let source: ImageSource
    let destination: ImageDestination
    let context: RunContext
    var ledger: TransferLedger { context.ledger }
    var onEvent: (@Sendable (TransferEvent) -> Void)? { context.onEvent }

    func transferAll(_ blobs: [Descriptor], jobs: Int, tally: Tally) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for blob in blobs {
                if running >= jobs {
                    try await group.next()
                    running -= 1
                }
                group.addTask {
                    let event = try await ledger.pool.withSlot {
                        try await ledger.once(blob.digest, size: blob.size, at: destination) { try await transfer(blob) }
                    }
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

    /// A pipe from a source GET to an upload cannot be rewound, so the registry client cannot
    /// resend it: after a transient failure the whole transfer starts again (a new GET, a new
    /// session), within the run's retry budget; a restart checks again what is there.
    func transfer(_ blob: Descriptor) async throws -> TransferEvent {
        try await context.client.retrying("blob \(blob.digest.short)") { try await transferOnce(blob) }
    }

    private func transferOnce(_ blob: Descriptor) async throws -> TransferEvent {
        if try await destination.hasBlob(blob) { return .blobExists(blob.digest, size: blob.size) }
        guard let target = destination.mountTarget else {
            try await move(blob)
            return .blobCopied(blob.digest, size: blob.size)
        }
        // A refused mount may leave an upload session for the blob, which the upload takes;
        // whatever ends the transfer otherwise gives it up.
        do {
            return try await mountOrUpload(blob, into: target)
        } catch {
            await destination.discardMountLeftovers(blob)
            throw error
        }
    }

    private func mountOrUpload(_ blob: Descriptor, into target: MountOrigin) async throws -> TransferEvent {
        while true {
            // A mount answered 201 gives up, in the client, a session an earlier refusal left.
            for origin in mountCandidates(blob, into: target) where try await destination.mountBlob(blob, from: origin) {
                return .blobMounted(blob.digest, size: blob.size, from: origin.repository)
            }
            // Another write of the run is uploading it to this registry: wait, then mount.
            guard let other = ledger.claimUpload(blob.digest, host: target.host) else { break }
            try? await other.wait()
        }
        do {
            try await move(blob)
            ledger.recordPushed(blob.digest, to: target)
            ledger.finishUpload(blob.digest, host: target.host, nil)
        } catch {
            ledger.finishUpload(blob.digest, host: target.host, error)
            throw error
        }
        return .blobCopied(blob.digest, size: blob.size)
    }

    /// Uploads a local blob directly, or streams a remote one.
    func move(_ blob: Descriptor) async throws {
        if let local = try source.localBlob(blob) {
            onEvent?(.blobStarted(blob.digest, size: blob.size))
            let body: ByteSource = onEvent.map { report in ObservingSource(local) { report(.bytesMoved($0)) } } ?? local
            try await destination.putBlob(blob, from: body, verifiedBeforeEnd: false)
        } else {
            try await stream(blob)
        }
    }

    /// The blob's own origin, then every repository this run put it in: those on the
    /// destination's registry, other than the destination itself.
    func mountCandidates(_ blob: Descriptor, into target: MountOrigin) -> [MountOrigin] {
        var seen: Set<MountOrigin> = [target]
        return ([source.mountOrigin(of: blob)].compactMap { $0 } + ledger.origins(of: blob.digest))
            .filter { $0.host == target.host && seen.insert($0).inserted }
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
                        try await destination.putBlob(blob, from: pipe, verifiedBeforeEnd: true)
                        // The destination took the blob's size in bytes; a source sending more
                        // would otherwise wait forever on the full pipe.
                        pipe.fail(AssemblyError.invalidImage("\(source.description): blob \(blob.digest) is longer than its \(blob.size) bytes"))
                    } catch {
                        pipe.fail(error)
                        throw error
                    }
                }
                for try await _ in group {}
            }
        } onCancel: {
            pipe.fail(CancellationError())
        }
    }
}

/// Passes a rewindable source through and reports each read's size (progress meters).
final class ObservingSource: RewindableSource, @unchecked Sendable {
    private let upstream: RewindableSource
    private let onRead: @Sendable (Int) -> Void
    init(_ upstream: RewindableSource, onRead: @escaping @Sendable (Int) -> Void) {
        self.upstream = upstream
        self.onRead = onRead
    }
    var length: Int64? { upstream.length }
    func rewind() throws { try upstream.rewind() }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try upstream.read(into: buffer)
        if n > 0 { onRead(n) }
        return n
    }
}
