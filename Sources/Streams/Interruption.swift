import Dispatch
import Foundation
import Synchronization

/// SIGINT / SIGTERM as a flag every long operation polls: transfers abort from libcurl's
/// progress callback, loops stop at their next chunk, and the command exits 128+signal after
/// cleaning up (open upload sessions are cancelled; no tag is written after the signal).
/// A second signal exits at once.
public enum Interruption {
    private static let received = Atomic<Int32>(0)
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// The signal received, if any.
    public static var signal: Int32? {
        let value = received.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    public static var isRequested: Bool { received.load(ordering: .relaxed) != 0 }

    /// Throws `InterruptedError` once a signal has arrived; on a `BlockingWork` thread whose
    /// task was cancelled, `CancellationError`.
    public static func check() throws {
        if let signal { throw InterruptedError(signal: signal) }
        if ThreadCancellation.isCancelled { throw CancellationError() }
    }

    /// Records a signal as if it had been received (the first one wins).
    public static func request(signal: Int32) {
        _ = received.compareExchange(expected: 0, desired: signal, ordering: .relaxed)
    }

    /// Routes SIGINT and SIGTERM here instead of killing the process; call once, at start-up.
    public static func install(onFirst: @escaping @Sendable (Int32) -> Void = { _ in }) {
        for number in [SIGINT, SIGTERM] {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if isRequested { _exit(128 + number) }
                request(signal: number)
                onFirst(number)
            }
            source.resume()
            sources.append(source)
        }
    }
}

public struct InterruptedError: Error, CustomStringConvertible, Sendable {
    public let signal: Int32
    public init(signal: Int32) { self.signal = signal }
    public var name: String { signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)" }
    public var description: String { "interrupted by \(name)" }
}

/// A one-way switch a task's cancellation handler flips, for blocking work on another thread
/// (a libcurl transfer polls it from its progress callback).
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isSet: Bool { flag.load(ordering: .relaxed) }
    public func set() { flag.store(true, ordering: .relaxed) }
}
