import Assembly
import Build
import Layers
import Registry

/// What `build` and `append` set up alike: the cache's workspace, and a plan runner on the
/// run's context whose progress goes to the command's lines and whose inputs follow `--lock`.
func makePlanRunner(context: RunContext, cacheDir: String?, environment: [String: String],
                    progress: TransferProgress, lock: InputLock?) throws -> PlanRunner {
    let workspace = try BuildWorkspace(root: BlobCache.defaultRoot(explicit: cacheDir, environment: environment))
    let runner = PlanRunner(context: context, workspace: workspace, lock: lock, progress: { progress.note($0) })
    runner.onLayerContent = { progress.layerContent($0, done: $1, total: $2) }
    return runner
}

extension TransferProgress {
    /// One line for a destination that cannot keep the attestations (a docker archive).
    func noteAttestations(_ target: ImageTarget) {
        guard target.destination.referrersSupport == .none else { return }
        note("\(target.destination.description): a docker archive has no place for the SBOM and provenance; write to a registry or an oci: layout to keep them")
    }
}
