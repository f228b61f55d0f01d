import Assembly
import Build
import Layers
import Registry

/// What `build` and `append` set up alike: the cache's workspace, and a plan runner on the
/// run's context whose progress goes to the command's lines and whose inputs follow `--lock`.
func makePlanRunner(context: RunContext, cacheDir: String?, environment: [String: String],
                    progress: TransferProgress, lock: InputLock?) throws -> PlanRunner {
    let root = BlobCache.defaultRoot(explicit: cacheDir, environment: environment)
    let workspace: BuildWorkspace
    do { workspace = try BuildWorkspace(root: root) } catch {
        // Input to fix (exit 2), named as the user gave it: the flag, or the variable it came from.
        let source = !(cacheDir ?? "").isEmpty ? "--cache-dir" : (environment["XDG_CACHE_HOME"] ?? "").hasPrefix("/") ? "XDG_CACHE_HOME" : "HOME"
        throw UsageError("\(source == "--cache-dir" ? "--cache-dir \(root)" : "the layer cache \(root) (from \(source))"): \(oneLine(error)) (give a writable --cache-dir)")
    }
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
