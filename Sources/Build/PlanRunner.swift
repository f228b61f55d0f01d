import Assembly
import Foundation
import Layers
import OCI
import Registry
import Streams

/// Carries out plans: inputs materialized once per run, each distinct layer written once per
/// run (shared by every base and platform), one mutated image per base. What it makes is
/// published by the one `Publisher` with the run's context (each blob moved once, mounts from
/// earlier pushes of the run).
public final class PlanRunner: @unchecked Sendable {
    public let context: RunContext
    public let workspace: BuildWorkspace
    let progress: (@Sendable (String) -> Void)?
    let inputs: PlanInputs
    let layers: LayerBuilder
    private let producedLock = NSLock()
    private var produced: Set<Digest> = []

    public init(context: RunContext, workspace: BuildWorkspace, lock: InputLock? = nil, progress: (@Sendable (String) -> Void)? = nil) {
        self.context = context
        self.workspace = workspace
        self.progress = progress
        inputs = PlanInputs(client: context.client, workspace: workspace, lock: lock, progress: progress)
        layers = LayerBuilder(inputs: inputs)
    }

    /// Progress of the content going into a new layer (its label, bytes so far, bytes in all),
    /// called on the writing thread: for a status line while a large file is compressed.
    public var onLayerContent: (@Sendable (String, Int64, Int64) -> Void)? {
        get { layers.onContent }
        set { layers.onContent = newValue }
    }

    /// The publisher of what this runner makes, with the run's context; `label` in front of
    /// what fails while writing to the destination.
    public func publisher(label: String? = nil) -> Publisher { Publisher(context: context, label: label) }

    /// Applies `plan` to the chosen platforms of the image at `location` (at its pinned digest
    /// when the run's lock pins it).
    public func mutate(_ location: ImageLocation, with plan: ImagePlan, platforms: PlatformChoice, role: String = "base image") async throws -> Mutation {
        try await apply(plan, to: try await base(location, platforms: platforms, role: role))
    }

    /// Applies `plan` to the chosen platforms of `base`, read from `location` (which the
    /// resolved inputs name; the source's own description without one).
    public func mutate(_ base: ImageSource, at location: ImageLocation? = nil, with plan: ImagePlan, platforms: PlatformChoice,
                       role: String = "base image") async throws -> Mutation {
        try await apply(plan, to: try await self.base(base, at: location, platforms: platforms, role: role))
    }

    /// A base resolved for a plan: its chosen images, read but not yet built on. Its layers can
    /// move to the destination while the plan's new layers are built (`Publisher`'s prefetch).
    public struct Base: Sendable {
        public let source: ImageSource
        let location: ImageLocation?
        let chosen: Chosen
        /// Every layer of the chosen images, each once: what the result keeps of the base.
        public var layers: [Descriptor] {
            var seen: Set<Digest> = []
            return chosen.images.flatMap(\.image.image.layers).filter { seen.insert($0.digest).inserted }
        }
    }

    /// The image at `location` (at its pinned digest when the run's lock pins it), resolved for
    /// `platforms`.
    public func base(_ location: ImageLocation, platforms: PlatformChoice, role: String = "base image") async throws -> Base {
        var open = OCI.Platform.linuxAMD64
        if case .one(let one) = platforms { open = one }
        let source = try await step(role) { try await inputs.open(location, platform: open) }
        return try await base(source, at: location, platforms: platforms, role: role)
    }

    func base(_ source: ImageSource, at location: ImageLocation?, platforms: PlatformChoice, role: String) async throws -> Base {
        Base(source: source, location: location, chosen: try await step(role) { try await resolve(source, platforms) })
    }

    /// The plan's layers and config changes on every chosen platform of `base`.
    public func apply(_ plan: ImagePlan, to base: Base) async throws -> Mutation {
        var built: [Mutation.Platform] = []
        for (entry, resolved) in base.chosen.images {
            let platform = entry?.platform ?? resolved.config.platform ?? .linuxAMD64
            let image = try await compose(resolved, plan: plan, platform: platform)
            let baseInput = ResolvedInput(kind: .baseImage, role: "base image",
                                          source: .image(location: base.location?.description ?? base.source.description,
                                                         reference: base.location?.registryReference, root: resolved.root.digest,
                                                         platform: resolved.config.platform ?? platform, manifest: resolved.manifest.digest))
            built.append(.init(base: resolved, image: image, inputs: [baseInput] + (try await inputs.resolved(plan, platform: platform))))
        }
        guard let index = base.chosen.index else {
            return Mutation(image: MutatedImage(base: base.source, image: built[0].image), platforms: built, dropped: [])
        }
        let children = zip(base.chosen.images, built).compactMap { pair in pair.0.entry.map { (entry: $0, image: pair.1.image) } }
        let composed = try ImageComposer.composeIndex(base: index, children: children)
        return Mutation(image: MutatedImage(base: base.source, index: composed, images: built.map(\.image)), platforms: built,
                        dropped: base.chosen.dropped)
    }

    /// The base images a choice names: one image, or the chosen children of an index (with
    /// their entries, and the platforms left out).
    struct Chosen: Sendable {
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
        let entries = try PlatformMatcher.entries(of: index, platforms, what: base.description)
        var images: [(entry: Descriptor?, image: ResolvedImage)] = []
        for entry in entries { images.append((entry, try await ResolvedImage.resolve(base, child: entry))) }
        let dropped = index.manifests.filter { !entries.contains($0) }.compactMap(\.platform)
        return Chosen(images: images, index: index, dropped: dropped)
    }

    /// The plan's layers for `platform` on top of `base`, and its config changes.
    private func compose(_ base: ResolvedImage, plan: ImagePlan, platform: OCI.Platform) async throws -> ComposedImage {
        progress?("base: \(base.source.description) → \(base.manifest.digest) (\(counted(base.image.layers.count, "layer")), \(base.isDockerFlavour ? "Docker schema2" : "OCI"), \(platform))")
        let newLayers = try await layers.layers(of: plan, platform: platform)
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

    /// Keeps the cache bounded once the run has written: only this run's layers survive.
    public func finish() throws {
        try workspace.prune(keeping: producedLock.withLock { produced })
    }
}
