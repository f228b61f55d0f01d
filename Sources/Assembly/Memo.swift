import Foundation

/// Values computed once per key: the first caller starts the work, the others await it. A
/// waiter's cancellation does not cancel work another caller still awaits (another plan may
/// need it); when every waiter is cancelled before the work is done, so is the work, and the
/// key is forgotten. A finished value stays, whatever happens to its waiters.
public final class Memo<T: Sendable>: @unchecked Sendable {
    private struct Entry {
        let id: UInt64
        let task: Task<T, Error>
        /// Callers awaiting the task and not cancelled (those that returned had the value).
        var waiting: Int
        /// The work's value, recorded by the work itself when it ends.
        var value: T?
    }
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var lastID: UInt64 = 0

    public init() {}

    /// The value for `key`: `work`'s, started now, or that of the work another caller started
    /// (then `joined` is called first, before waiting).
    public func value(_ key: String, joined: (() -> Void)? = nil,
                      _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let (task, id, existed): (Task<T, Error>, UInt64, Bool) = lock.withLock {
            if var existing = entries[key] {
                existing.waiting += 1
                entries[key] = existing
                return (existing.task, existing.id, true)
            }
            lastID += 1
            let id = lastID
            // The entry is in place before the task can record into it: this lock is held.
            let fresh = Task { [self] in
                let value = try await work()
                record(value, key: key, id: id)
                return value
            }
            entries[key] = Entry(id: id, task: fresh, waiting: 1)
            return (fresh, id, false)
        }
        if existed { joined?() }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            abandon(key, id: id)
        }
    }

    /// The value for `key` if its work has ended with one, without waiting.
    public func finished(_ key: String) -> T? {
        lock.withLock { entries[key]?.value }
    }

    /// Drops a value (a caller asking again starts the work anew).
    public func forget(_ key: String) {
        lock.withLock { _ = entries.removeValue(forKey: key) }
    }

    private func record(_ value: T, key: String, id: UInt64) {
        lock.withLock { if entries[key]?.id == id { entries[key]?.value = value } }
    }

    private func abandon(_ key: String, id: UInt64) {
        let orphaned: Task<T, Error>? = lock.withLock {
            guard var entry = entries[key], entry.id == id else { return nil }
            entry.waiting -= 1
            guard entry.waiting <= 0, entry.value == nil else {
                entries[key] = entry
                return nil
            }
            entries[key] = nil
            return entry.task
        }
        orphaned?.cancel()
    }
}
