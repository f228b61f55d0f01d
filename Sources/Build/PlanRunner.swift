import Assembly
import Foundation
import Layers
import OCI
import Registry
import Streams

/// Which platforms of a base a plan applies to.
public enum PlatformChoice: Sendable, Equatable {
    /// The base's image for this platform (an index's child), its config checked against it.
    case one(Platform)
    /// These platforms of a multi-platform base (each must be there).
    case some([Platform])
    /// Every platform of the base.
    case all
}

/// A base with a plan applied: the image to write (any destination takes it), and per
/// platform what it was built from and what it added.
public struct Mutation: Sendable {
    public struct Platform: Sendable {
        public let base: ResolvedImage
        public let image: ComposedImage
    }
    public let image: MutatedImage
    public let platforms: [Platform]
    /// Platforms of the base's index that the choice left out (they are not in the result).
    public let dropped: [OCI.Platform]
}

/// Carries out plans: inputs materialized once per run, each distinct layer written once per
/// run (shared by every base and platform), one mutated image per base, written through the
/// one image writer with one transfer ledger (each blob moved once, mounts from earlier
/// pushes of the run).
public final class PlanRunner: @unchecked Sendable {
    public let client: RegistryClient
    public let workspace: BuildWorkspace
    public let ledger: TransferLedger
    let progress: (@Sendable (String) -> Void)?
    let inputs: PlanInputs
    let layers: LayerBuilder
    private let producedLock = NSLock()
    private var produced: Set<Digest> = []

    /// - Parameter jobs: blobs moved at once across every image of the run.
    public init(client: RegistryClient, workspace: BuildWorkspace, jobs: Int = 4, progress: (@Sendable (String) -> Void)? = nil) {
        self.client = client
        ledger = TransferLedger(jobs: jobs, client: client)
        self.workspace = workspace
        self.progress = progress
        inputs = PlanInputs(client: client, workspace: workspace, progress: progress)
        layers = LayerBuilder(inputs: inputs)
    }

    /// Progress of the content going into a new layer (its label, bytes so far, bytes in all),
    /// called on the writing thread: for a status line while a large file is compressed.
    public var onLayerContent: (@Sendable (String, Int64, Int64) -> Void)? {
        get { layers.onContent }
        set { layers.onContent = newValue }
    }

    /// The run's lock (`--lock`): inputs taken at their pins, every resolution recorded.
    public var inputLock: InputLock? {
        get { inputs.lock }
        set { inputs.lock = newValue }
    }

    /// Applies `plan` to the chosen platforms of the image at `location` (at its pinned digest
    /// when the run's lock pins it; its resolution recorded for the lock).
    public func mutate(_ location: ImageLocation, with plan: ImagePlan, platforms: PlatformChoice, role: String = "base image") async throws -> Mutation {
        var open = OCI.Platform.linuxAMD64
        if case .one(let one) = platforms { open = one }
        let source = try await step(role) { try await inputs.open(location, platform: open) }
        let mutation = try await mutate(source, with: plan, platforms: platforms, role: role)
        for built in mutation.platforms {
            inputLock?.record(location, root: built.base.root.digest, platform: built.base.config.platform ?? open, manifest: built.base.manifest.digest)
        }
        return mutation
    }

    /// Applies `plan` to the chosen platforms of `base`. `role` names the base in messages.
    public func mutate(_ base: ImageSource, with plan: ImagePlan, platforms: PlatformChoice, role: String = "base image") async throws -> Mutation {
        let chosen = try await step(role) { try await resolve(base, platforms) }
        var built: [Mutation.Platform] = []
        for (entry, resolved) in chosen.images {
            let platform = entry?.platform ?? resolved.config.platform ?? .linuxAMD64
            built.append(.init(base: resolved, image: try await compose(resolved, plan: plan, platform: platform)))
        }
        guard let index = chosen.index else {
            return Mutation(image: MutatedImage(base: base, image: built[0].image), platforms: built, dropped: [])
        }
        let children = zip(chosen.images, built).compactMap { pair in pair.0.entry.map { (entry: $0, image: pair.1.image) } }
        let composed = try ImageComposer.composeIndex(base: index, children: children)
        return Mutation(image: MutatedImage(base: base, index: composed, images: built.map(\.image)), platforms: built, dropped: chosen.dropped)
    }

    /// The base images a choice names: one image, or the chosen children of an index (with
    /// their entries, and the platforms left out).
    struct Chosen {
        var images: [(entry: Descriptor?, image: ResolvedImage)]
        var index: ImageIndex?
        var dropped: [OCI.Platform] = []
    }

    func resolve(_ base: ImageSource, _ platforms: PlatformChoice) async throws -> Chosen {
        if case .one(let platform) = platforms {
            return Chosen(images: [(nil, try await ResolvedImage.resolve(base, platform: platform))])
        }
        let root = try await base.rootManifest()
        guard root.isIndex else {
            let resolved = try await ResolvedImage.resolve(base, preferring: nil)
            let platform = resolved.config.platform ?? .linuxAMD64
            if case .some(let wanted) = platforms, !wanted.contains(where: platform.satisfies) {
                throw AssemblyError.notFound("\(base.description): the image is \(platform) only, not \(wanted.map(\.description).joined(separator: ", "))")
            }
            return Chosen(images: [(nil, resolved)])
        }
        let index: ImageIndex
        do { index = try root.decodeIndex() } catch { throw AssemblyError.invalidImage("\(base.description): unreadable index") }
        let entries = try Self.choose(from: index, platforms, what: base.description)
        var images: [(entry: Descriptor?, image: ResolvedImage)] = []
        for entry in entries { images.append((entry, try await ResolvedImage.resolve(base, child: entry))) }
        let dropped = index.manifests.filter { !entries.contains($0) }.compactMap(\.platform)
        return Chosen(images: images, index: index, dropped: dropped)
    }

    /// The index entries a choice names: every real platform (attestation entries, whose
    /// platform is unknown/unknown, describe the old image and are left out), or each asked-for
    /// one, which must be there.
    static func choose(from index: ImageIndex, _ platforms: PlatformChoice, what: String) throws -> [Descriptor] {
        switch platforms {
        case .one(let platform):
            return index.child(for: platform).map { [$0] } ?? []
        case .all:
            let real = index.manifests.filter { $0.platform.map { $0.os != "unknown" } ?? false }
            guard !real.isEmpty else { throw AssemblyError.notFound("\(what): the index names no platform") }
            return real
        case .some(let wanted):
            return try wanted.map { platform in
                guard let child = index.child(for: platform) else {
                    let available = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                    throw AssemblyError.notFound("\(what): no \(platform) image in the index (available: \(available.isEmpty ? "none" : available))")
                }
                return child
            }
        }
    }

    /// The plan's layers for `platform` on top of `base`, and its config changes.
    private func compose(_ base: ResolvedImage, plan: ImagePlan, platform: OCI.Platform) async throws -> ComposedImage {
        progress?("base: \(base.source.description) → \(base.manifest.digest) (\(counted(base.image.layers.count, "layer")), \(base.isDockerFlavour ? "Docker schema2" : "OCI"), \(platform))")
        var newLayers: [NewLayer] = []
        for layer in plan.layers { newLayers.append(try await layers.layer(layer, of: plan, platform: platform)) }
        producedLock.withLock { produced.formUnion(newLayers.map(\.digest)) }
        var changes = plan.changes
        switch plan.created {
        case .fixed(let time): changes.created = time
        case .base: changes.created = base.config.created ?? "1970-01-01T00:00:00Z"
        }
        let composed = try ImageComposer.compose(base: base, adding: newLayers, changes: changes)
        if composed.becameOCI { progress?("manifest: OCI, not the base's Docker schema2, which has no media type for \(plan.compression.algorithm) layers") }
        return composed
    }

    /// Writes an image (a mutation's, or any other) through the run's ledger.
    public func write(_ image: ImageSource, to target: ImageTarget, names: [String], jobs: Int = 4,
                      onEvent: (@Sendable (TransferEvent) -> Void)? = nil) async throws -> WriteReport {
        let options = WriteOptions(jobs: jobs, ledger: ledger, onEvent: onEvent)
        return try await ImageWriter(source: image, destination: target.destination, options: options).write(names: names, expecting: target.pinned)
    }

    /// Writes a mutation with its attestations (when asked for and the destination keeps
    /// referrers): every blob and manifest by digest first, then the SBOM and provenance of each
    /// platform, the names last, so a failure anywhere leaves no name on anything.
    public func publish(_ mutation: Mutation, plan: ImagePlan, to target: ImageTarget, names: [String],
                        attestation: AttestationRequest?, jobs: Int = 4,
                        onEvent: (@Sendable (TransferEvent) -> Void)? = nil) async throws -> (report: WriteReport, attestations: [Attestation]?) {
        guard let attestation, target.destination.referrersSupport != .none else {
            return (try await write(mutation.image, to: target, names: names, jobs: jobs, onEvent: onEvent), nil)
        }
        var report = try await write(mutation.image, to: target, names: [], jobs: jobs, onEvent: onEvent)
        let attestations = try await step("attestations") { try await attest(mutation, plan: plan, request: attestation, to: target, onEvent: onEvent) }
        // Every blob is there by now: of the second pass only the names are news.
        var naming: (@Sendable (TransferEvent) -> Void)?
        if let onEvent {
            naming = { @Sendable event in
                if case .manifestPushed = event { onEvent(event) }
            }
        }
        let named = try await write(mutation.image, to: target, names: names, jobs: jobs, onEvent: naming)
        report.names = named.names
        return (report, attestations)
    }

    /// Keeps the cache bounded once the run has written: only this run's layers survive.
    public func finish() throws {
        try workspace.prune(keeping: producedLock.withLock { produced })
    }
}
