import OCI
import Registry

/// What every write of one run shares, built once by the command line and required by the
/// writer, the plan runner and every attester (ggcr's `makeOptions`: one immutable value):
/// the registry client (its retry budget, timeouts and announcements are the run's), the
/// transfer ledger (each blob moved once per destination, one bound on transfers for every
/// image of the run), and who hears of each transfer.
public struct RunContext: Sendable {
    public let client: RegistryClient
    public let ledger: TransferLedger
    public let onEvent: (@Sendable (TransferEvent) -> Void)?

    /// - Parameter jobs: blobs moved at once across every image of the run (`--jobs`).
    public init(client: RegistryClient, jobs: Int, onEvent: (@Sendable (TransferEvent) -> Void)? = nil) {
        self.client = client
        ledger = TransferLedger(jobs: jobs)
        self.onEvent = onEvent
    }

    /// Blobs moved at once.
    public var jobs: Int { ledger.jobs }

    func emit(_ event: TransferEvent) { onEvent?(event) }
}
