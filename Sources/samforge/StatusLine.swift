import Assembly
import Foundation
import OCI

/// On a terminal, one line under the progress lines that follows the work as it goes: blobs
/// moving (`  2 blobs streaming · 45.1 MB of 120.3 MB (37%) · 45.2 MB/s`, the total and share
/// once the writer has said what it will move) or a new layer being compressed
/// (`  compressing new files · 120.3 MB of 400.0 MB (30%)`). Off a terminal (CI logs) there is
/// none, and progress stays one line per event.
final class StatusLine: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: Int64 = 0
    private var streaming = 0
    /// Bytes of every blob the writes of the run will consider, and of those found in place or
    /// mounted (done without moving).
    private var planned: Int64 = 0
    private var settled: Int64 = 0
    private var started: Date?
    private var lastDraw = Date.distantPast
    private var visible = false
    /// A layer being written: its label, content bytes so far and in all.
    private var local: (label: String, done: Int64, total: Int64)?
    /// A step of work shown as it is (`reading the files of a: layer 3 of 12`).
    private var step: String?

    /// A status line when stderr is a terminal and progress is wanted.
    static func onTerminal(unless quiet: Bool) -> StatusLine? {
        !quiet && isatty(STDERR_FILENO) == 1 ? StatusLine() : nil
    }

    /// Follows a transfer's events: what is planned, blobs starting, chunks moving, blobs done.
    func observe(_ event: TransferEvent) {
        lock.withLock {
            switch event {
            case .blobsPlanned(_, let size): planned += size
            case .blobExists(_, let size), .blobMounted(_, let size, _): settled += size
            case .blobStarted:
                if started == nil { started = Date() }
                streaming += 1
                draw()
            case .bytesMoved(let count):
                bytes += Int64(count)
                throttledDraw()
            case .blobCopied: streaming = max(0, streaming - 1)
            case .manifestPushed, .attached: break
            }
        }
    }

    /// Content going into a new layer (compressing a large file takes a while).
    func layerContent(_ label: String, done: Int64, total: Int64) {
        lock.withLock {
            local = done < total ? (label, done, total) : nil
            if local == nil { clear() } else { throttledDraw() }
        }
    }

    /// Shows a step of work until the next one, or `finish()`.
    func show(_ text: String) {
        lock.withLock {
            step = text
            draw()
        }
    }

    /// A progress line above the status line when there is one, else a plain stderr line.
    static func emit(_ line: String, above status: StatusLine?) {
        if let status { status.print(line) } else { Output.progress(line) }
    }

    /// A progress line, printed above the status line.
    func print(_ line: String) {
        lock.withLock {
            clear()
            write(line + "\n")
            if streaming > 0 || local != nil || step != nil { draw() }
        }
    }

    /// Removes the status line (before the summary and the result).
    func finish() {
        lock.withLock {
            step = nil
            clear()
        }
    }

    /// At most ten redraws a second, whatever the chunk rate.
    private func throttledDraw() {
        if Date().timeIntervalSince(lastDraw) >= 0.1 { draw() }
    }

    private func draw() {
        lastDraw = Date()
        write("\r\u{1B}[K  " + text())
        visible = true
    }

    /// The line's text (without the carriage return and the erase).
    private func text() -> String {
        if let step, streaming == 0, local == nil { return step }
        if let local, streaming == 0 {
            return "compressing \(local.label) · " + Self.share(local.done, of: local.total)
        }
        let elapsed = max(0.001, lastDraw.timeIntervalSince(started ?? lastDraw))
        let rate = humanSize(Int64(Double(bytes) / elapsed))
        let amount = planned > 0 ? Self.share(bytes + settled, of: planned) : humanSize(bytes)
        return "\(streaming) blob\(streaming == 1 ? "" : "s") streaming · \(amount) · \(rate)/s"
    }

    /// `45.1 MB of 120.3 MB (37%)`; what moved again after a restart never shows past 100%.
    static func share(_ done: Int64, of total: Int64) -> String {
        let shown = min(done, total)
        let percent = total > 0 ? Int(Double(shown) * 100 / Double(total)) : 100
        return "\(humanSize(shown)) of \(humanSize(total)) (\(percent)%)"
    }

    private func clear() {
        if visible { write("\r\u{1B}[K") }
        visible = false
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
