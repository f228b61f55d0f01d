import Foundation

/// Runs blocking work (a libcurl transfer, libarchive, zlib, file I/O) on a thread of its own and
/// awaits it, so it never holds one of the cooperative pool's few threads (one per core).
public enum BlockingWork {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let thread = Thread {
                do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }
}
