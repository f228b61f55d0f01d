import Assembly
import Foundation

/// On a terminal, one line under the progress lines that follows the bytes as they move:
/// `  2 blobs streaming · 123.4 MB · 45.2 MB/s`. Off a terminal (CI logs) there is none, and
/// progress stays one line per event.
final class StatusLine: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: Int64 = 0
    private var streaming = 0
    private var started: Date?
    private var lastDraw = Date.distantPast
    private var visible = false

    /// A status line when stderr is a terminal and progress is wanted.
    static func onTerminal(unless quiet: Bool) -> StatusLine? {
        !quiet && isatty(STDERR_FILENO) == 1 ? StatusLine() : nil
    }

    /// Follows a transfer's events: blobs starting, chunks moving, blobs done.
    func observe(_ event: TransferEvent) {
        switch event {
        case .blobStarted: blobStarted()
        case .bytesMoved(let count): moved(count)
        case .blobCopied: blobFinished()
        default: break
        }
    }

    /// A progress line above the status line when there is one, else a plain stderr line.
    static func emit(_ line: String, above status: StatusLine?) {
        if let status { status.print(line) } else { Output.progress(line) }
    }

    private func blobStarted() {
        lock.withLock {
            if started == nil { started = Date() }
            streaming += 1
            draw()
        }
    }

    private func blobFinished() { lock.withLock { streaming = max(0, streaming - 1) } }

    private func moved(_ count: Int) {
        lock.withLock {
            bytes += Int64(count)
            // At most ten redraws a second, whatever the chunk rate.
            if Date().timeIntervalSince(lastDraw) >= 0.1 { draw() }
        }
    }

    /// A progress line, printed above the status line.
    func print(_ line: String) {
        lock.withLock {
            clear()
            write(line + "\n")
            if streaming > 0 { draw() }
        }
    }

    /// Removes the status line (before the summary and the result).
    func finish() { lock.withLock { clear() } }

    private func draw() {
        lastDraw = Date()
        let elapsed = max(0.001, lastDraw.timeIntervalSince(started ?? lastDraw))
        let rate = humanSize(Int64(Double(bytes) / elapsed))
        write("\r\u{1B}[K  \(streaming) blob\(streaming == 1 ? "" : "s") streaming · \(humanSize(bytes)) · \(rate)/s")
        visible = true
    }

    private func clear() {
        if visible { write("\r\u{1B}[K") }
        visible = false
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
