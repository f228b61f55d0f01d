import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work (a libcurl transfer, libarchive, zlib, file I/O) on a thread of its own and
/// awaits it, so it never holds one of the cooperative pool's few threads (one per core).
/// Cancelling the awaiting task reaches the work: `Interruption.check()`, which its loops poll
/// per buffer, then throws `CancellationError` on that thread (a failed sibling layer stops
/// this one's compression instead of being waited for).
public enum BlockingWork {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let cancelled = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                let thread = Thread {
                    ThreadCancellation.install(cancelled)
                    defer { ThreadCancellation.install(nil) }
                    do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
                }
                thread.stackSize = 4 << 20
                thread.start()
            }
        } onCancel: {
            cancelled.set()
        }
    }
}

/// The cancellation flag of the task a `BlockingWork` thread works for, as a thread-local
/// (pthread key: read per buffer, so it must cost nanoseconds).
enum ThreadCancellation {
    nonisolated(unsafe) private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The flag stays alive while installed: the thread's closure holds it.
    static func install(_ flag: CancellationFlag?) {
        pthread_setspecific(key, flag.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) })
    }

    static var isCancelled: Bool {
        guard let pointer = pthread_getspecific(key) else { return false }
        return Unmanaged<CancellationFlag>.fromOpaque(pointer).takeUnretainedValue().isSet
    }
}
