import Assembly
import OCI

/// Progress of any command that writes images (copy, append, build) on stderr, in one
/// vocabulary: one line per blob (`exists`, `mounted … from REPO`, `copied`) and manifest,
/// notes for the steps of a build, then a summary of how many blobs moved (a re-run that finds
/// everything in place says "0 copied"). On a terminal a status line below follows the bytes
/// in flight.
struct TransferProgress: Sendable {
    let quiet: Bool
    private let status: StatusLine?

    init(quiet: Bool) {
        self.quiet = quiet
        status = StatusLine.onTerminal(unless: quiet)
    }

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
        case .blobStarted, .bytesMoved:
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
                        + "\(report.blobsSkipped) skipped, \(report.blobsMounted) mounted")
    }

    private func emit(_ line: String) { StatusLine.emit(line, above: status) }
}
