import Assembly
import Foundation
import OCI

/// Progress of any command that writes images (copy, append, build) on stderr, in one
/// vocabulary: one line per blob (`exists`, `mounted … from REPO`, `copied`) and manifest,
/// notes for the steps of a build, then a summary of how many blobs moved (a re-run that finds
/// everything in place says "0 copied"). On a terminal a status line below follows the bytes
/// in flight.
struct TransferProgress: Sendable {
    let quiet: Bool
    private let status: StatusLine?
    private let quarters = QuarterLog()

    init(quiet: Bool) {
        self.quiet = quiet
        status = StatusLine.onTerminal(unless: quiet)
    }

    /// Content going into a new layer: the status line on a terminal; in a log, a line at each
    /// quarter of a large layer (64 MB of content or more), so a long compression never looks hung.
    func layerContent(_ label: String, done: Int64, total: Int64) {
        guard !quiet else { return }
        if let status { return status.layerContent(label, done: done, total: total) }
        guard total >= Self.loggedLayerContent, let quarter = quarters.passed(done: done, total: total) else { return }
        Output.progress("  compressing \(label): \(StatusLine.share(done, of: total))" + (quarter == 4 ? ", done" : ""))
    }

    static let loggedLayerContent: Int64 = 64_000_000

    func note(_ text: String) {
        if !quiet { emit(text) }
    }

    func event(_ event: TransferEvent) {
        guard !quiet else { return }
        status?.observe(event)
        switch event {
        case .blobExists(let digest, let size):
            emit("  exists   \(digest.short)  \(humanSize(size))")
        case .blobMounted(let digest, let size, let from):
            emit("  mounted  \(digest.short)  \(humanSize(size))  from \(from)")
        case .blobCopied(let digest, let size):
            emit("  copied   \(digest.short)  \(humanSize(size))")
        case .manifestPushed(let digest, let mediaType, let tag):
            emit("  manifest \(digest.short)  \(mediaType)" + (tag.map { "  as \($0)" } ?? ""))
        case .attached(let digest, let what, let subject):
            emit("  attached \(digest.short)  \(what)  to \(subject.short)")
        case .blobStarted, .bytesMoved, .blobsPlanned:
            break
        }
    }

    /// Takes the status line down (after a failure, before the error line).
    func end() { status?.finish() }

    func summary(_ report: WriteReport) {
        guard !quiet else { return }
        status?.finish()
        if let platform = report.platform { Output.progress("platform: \(platform)") }
        Output.progress("blobs: \(report.blobsCopied) copied (\(humanSize(report.bytesCopied))), "
                        + "\(report.blobsSkipped) existing, \(report.blobsMounted) mounted")
    }

    private func emit(_ line: String) { StatusLine.emit(line, above: status) }
}

/// Which quarter of a layer's content was last logged (one layer is written at a time).
final class QuarterLog: @unchecked Sendable {
    private let lock = NSLock()
    private var last = 0

    /// The quarter (1-4) `done` has just reached, once each; a new layer starts again at 0.
    func passed(done: Int64, total: Int64) -> Int? {
        lock.withLock {
            let quarter = Int(min(4, done * 4 / max(1, total)))
            guard quarter > last else { return nil }
            last = quarter == 4 ? 0 : quarter
            return quarter
        }
    }
}
