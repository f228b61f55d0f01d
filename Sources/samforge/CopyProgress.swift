import Assembly
import OCI

/// Progress of a copy on stderr, one line per blob and manifest, then a summary that says how
/// many blobs moved (a re-run that finds everything in place says "0 copied").
struct CopyProgress: Sendable {
    let quiet: Bool

    func note(_ text: String) {
        if !quiet { Output.progress(text) }
    }

    func event(_ event: TransferEvent) {
        guard !quiet else { return }
        switch event {
        case .blobExists(let digest, let size):
            Output.progress("  exists   \(digest.short)  \(humanSize(size))")
        case .blobMounted(let digest, let size, let from):
            Output.progress("  mounted  \(digest.short)  \(humanSize(size))  from \(from)")
        case .blobCopied(let digest, let size):
            Output.progress("  copied   \(digest.short)  \(humanSize(size))")
        case .manifestPushed(let digest, let mediaType, _):
            Output.progress("  manifest \(digest.short)  \(mediaType)")
        }
    }

    func summary(_ report: CopyReport) {
        guard !quiet else { return }
        if let platform = report.platform { Output.progress("platform: \(platform)") }
        Output.progress("blobs: \(report.blobsCopied) copied (\(humanSize(report.bytesCopied))), "
                        + "\(report.blobsSkipped) skipped, \(report.blobsMounted) mounted")
    }
}
