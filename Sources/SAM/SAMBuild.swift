import Assembly
import Build
import Foundation
import Layers
import OCI

/// `samforge build` for one base: the recipe's plan applied to the base by the run's
/// `PlanRunner`, published to the target under the computed tags. The base's layers move to the
/// target while the new layers are built; a missing plugin file or tool then fails the
/// publication before anything is named (and a layout or archive it created is removed).
public struct SAMBuild: Sendable {
    public let runner: PlanRunner
    /// Attach an SBOM and a provenance statement (OCI 1.1 referrers) to every image.
    public var attest = true
    /// Rewrite the manifests (`--format`), e.g. OCI for a Docker-schema2 base.
    public var format: ManifestFormat?
    /// How the new layers are compressed (`--compression`).
    public var compression: Compression = .gzip
    /// The last attester (`--sign-key`): made from the mutation and the name the image goes by.
    public var signer: (@Sendable (_ mutation: Mutation, _ subjectName: String) -> Attester)?

    public init(runner: PlanRunner) {
        self.runner = runner
    }

    /// - Parameter now: the clock, for the timestamp tag when SOURCE_DATE_EPOCH is not set
    ///   (one instant for every image of a run).
    public func run(_ request: SAMBuildRequest, to target: ImageTarget, now: Int64) async throws -> SAMBuildResult {
        var recipe = SAMRecipe.plan(for: request)
        recipe.compression = compression
        let plan = recipe
        let base = try await runner.base(request.base.location, platforms: .one(request.platform), role: "SAM base image")
        let timestamp = SAMTags.timestamp(epoch: request.sourceDateEpoch ?? now)
        var tags = [request.primaryTag]
        if request.timestampTag { tags.append(SAMTags.timestamped(request.primaryTag, timestamp: timestamp)) }
        let names = tags.compactMap { target.name(forTag: $0, defaultRepository: TargetRepository.defaultArchiveRepository) }
        let subjectName = target.reference(name: nil)
        let (runner, attest, format, parameters, signer) = (self.runner, self.attest, self.format, request.parameters, self.signer)
        // The base's layers move to the target while the new layers are built.
        let publisher = runner.publisher(label: "target \(request.target.text)")
        let (published, mutation) = try await publisher.publish(to: target.destination, prefetching: base.layers, from: base.source) {
            let mutation = try await runner.apply(plan, to: base)
            var attesters: [Attester] = []
            if attest {
                let request = AttestationRequest(recipe: "sam-plugin", parameters: parameters, tag: names.first)
                attesters.append(BuildAttester(mutation: mutation, request: request, subjectName: subjectName, workspace: runner.workspace))
            }
            if let signer { attesters.append(signer(mutation, subjectName)) }
            return (Publication(image: mutation.image, names: names, attesters: attesters, expecting: target.pinned, format: format), mutation)
        }
        guard let built = mutation.platforms.first else { throw SAMInputError("\(request.base.location): nothing to build") }
        return SAMBuildResult(target: request.target, tags: tags, finalImage: Self.finalImage(request.target, target: target, name: names.first),
                              runtime: request.base.runtime, samVersion: request.base.samVersion, timestamp: timestamp,
                              created: built.created, base: built.base, layers: built.image.newLayers, publication: published,
                              inputs: mutation.platforms.flatMap(\.inputs))
    }

    /// `TARGET_REPO:TAG` as typed for a registry; `oci:DIR:NAME`, `docker-archive:FILE:NAME`.
    static func finalImage(_ repository: TargetRepository, target: ImageTarget, name: String?) -> String {
        if case .registry = repository.location { return "\(repository.text):\(name ?? "")" }
        return target.reference(name: name)
    }
}
