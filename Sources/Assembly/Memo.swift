import Foundation

/// Values computed once per key: the first caller starts the work, the others await it. A
/// waiter's cancellation does not cancel work another caller still awaits (another plan may
/// need it); when every waiter is cancelled, so is the work, and the key is forgotten.
public final class Memo<T: Sendable>: @unchecked Sendable {
    private struct Entry {
        let task: Task<T, Error>
        /// Callers awaiting the task and not cancelled (those that returned had the value).
        var waiting: Int
        /// Its value, once a caller has had it.
        var value: T?
    }
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    public init() {}

    public func value(_ key: String, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let task: Task<T, Error> = lock.withLock {
            if var existing = entries[key] {
                existing.waiting += 1
                entries[key] = existing
                return existing.task
            }
            let fresh = Task { try await work() }
            entries[key] = Entry(task: fresh, waiting: 1)
            return fresh
        }
        let value = try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            abandon(key, task)
        }
        lock.withLock { if entries[key]?.task == task { entries[key]?.value = value } }
        return value
    }

    /// The value for `key` if it is known already, without waiting.
    public func finished(_ key: String) -> T? {
        lock.withLock { entries[key]?.value }
    }

    private func abandon(_ key: String, _ task: Task<T, Error>) {
        let last: Bool = lock.withLock {
            guard var entry = entries[key], entry.task == task else { return false }
            entry.waiting -= 1
            entries[key] = entry.waiting > 0 ? entry : nil
            return entry.waiting == 0
        }
        if last { task.cancel() }
    }

    /// Drops a finished value (a caller asking again starts the work anew).
    public func forget(_ key: String) {
        lock.withLock { _ = entries.removeValue(forKey: key) }
    }
}
