import Foundation
import OCI

/// What every write of one run shares, so a run that writes several images (a build for
/// several runtimes, an index's platforms) moves each blob once:
/// - one transfer per blob and destination: a second write that needs a blob another write is
///   moving waits for that transfer instead of starting its own (and never pushes a manifest
///   before the blob it names is there);
/// - where blobs were pushed: a later write to another repository of the same registry mounts
///   them from there instead of uploading them again.
public final class TransferLedger: @unchecked Sendable {
    private struct Key: Hashable { let destination: String; let digest: Digest }
    private let lock = NSLock()
    private var running: [Key: Completion] = [:]
    private var done: Set<Key> = []
    private var pushed: [Digest: Set<MountOrigin>] = [:]
    private var uploading: [UploadKey: Completion] = [:]
    private struct UploadKey: Hashable { let host: String; let digest: Digest }
    /// One bound on blob transfers for every write of the run (several images at once).
    let pool: TransferPool
    /// Blobs moved at once.
    public let jobs: Int

    /// - Parameter jobs: blobs moved at once across every write of the run.
    public init(jobs: Int = 4) {
        self.jobs = max(1, jobs)
        pool = TransferPool(limit: max(1, jobs))
    }

    /// Runs `work` for `digest` at `destination` unless this run already did (or is doing) it;
    /// then the blob is there, and the answer is `.blobExists`. A transfer that was cancelled
    /// (its own write failed) is taken over by the next write that needs the blob.
    func once(_ digest: Digest, size: Int64, at destination: ImageDestination,
              _ work: () async throws -> TransferEvent) async throws -> TransferEvent {
        let key = Key(destination: destination.identity, digest: digest)
        while true {
            let (completion, owner): (Completion?, Bool) = lock.withLock {
                if done.contains(key) { return (nil, false) }
                if let existing = running[key] { return (existing, false) }
                let fresh = Completion()
                running[key] = fresh
                return (fresh, true)
            }
            guard let completion else { return .blobExists(digest, size: size) }
            if owner {
                do {
                    let event = try await work()
                    lock.withLock {
                        running[key] = nil
                        done.insert(key)
                        if let target = destination.mountTarget { pushed[digest, default: []].insert(target) }
                    }
                    completion.finish(nil)
                    return event
                } catch {
                    lock.withLock { running[key] = nil }
                    completion.finish(error)
                    throw error
                }
            }
            do {
                try await completion.wait()
                return .blobExists(digest, size: size)
            } catch is CancellationError where !Task.isCancelled {
                continue  // the owner's write was cancelled, not the blob's transfer: take it over
            }
        }
    }

    /// Repositories this run pushed (or found) `digest` in, to mount from.
    func origins(of digest: Digest) -> [MountOrigin] {
        lock.withLock { pushed[digest].map { Array($0).sorted { $0.description < $1.description } } ?? [] }
    }

    func recordPushed(_ digest: Digest, to origin: MountOrigin) {
        lock.withLock { _ = pushed[digest, default: []].insert(origin) }
    }

    /// Claims the upload of `digest` to a registry: nil when it is the caller's to do, else the
    /// upload another write of the run is doing to another repository there, to wait for and
    /// then mount from (a blob crosses the wire to a registry once per run).
    func claimUpload(_ digest: Digest, host: String) -> Completion? {
        lock.withLock {
            let key = UploadKey(host: host, digest: digest)
            if let other = uploading[key] { return other }
            uploading[key] = Completion()
            return nil
        }
    }

    func finishUpload(_ digest: Digest, host: String, _ error: Error?) {
        let completion = lock.withLock { uploading.removeValue(forKey: UploadKey(host: host, digest: digest)) }
        completion?.finish(error)
    }
}

/// A one-shot completion that several tasks can await (a transfer another write runs).
final class Completion: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Void, Error>?
    private var waiters: [CheckedContinuation<Void, Error>] = []

    func finish(_ error: Error?) {
        let waiting: [CheckedContinuation<Void, Error>] = lock.withLock {
            result = error.map { .failure($0) } ?? .success(())
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiting {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
    }

    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let known: Result<Void, Error>? = lock.withLock {
                if result == nil { waiters.append(continuation) }
                return result
            }
            if let known { continuation.resume(with: known) }
        }
    }
}

/// A counting semaphore for blob transfers: at most `limit` run at once, whichever write they
/// belong to.
actor TransferPool {
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func acquire() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the slot to the next waiter, or frees it.
    func release() {
        if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
    }

    func withSlot<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }
}
