import Assembly
import Build
import Foundation
import OCI

/// `samforge build` for one base: the recipe's plan applied to the base by the run's
/// `PlanRunner`, written to the target under the computed tags. Every input is fetched and
/// every layer written before the first byte is written to the target, so a missing plugin
/// file or tool writes nothing at all.
public struct SAMBuild: Sendable {
    public let runner: PlanRunner
    /// Attach an SBOM and a provenance statement (OCI 1.1 referrers) to every image.
    public var attest = true
    /// Rewrite the manifests (`--format`), e.g. OCI for a Docker-schema2 base.
    public var format: ManifestFormat?

    public init(runner: PlanRunner) {
        self.runner = runner
    }

    /// - Parameter now: the clock, for the timestamp tag when SOURCE_DATE_EPOCH is not set
    ///   (one instant for every image of a run).
    public func run(_ request: SAMBuildRequest, to target: ImageTarget, now: Int64) async throws -> SAMBuildResult {
        let plan = SAMRecipe.plan(for: request)
        let mutation = try await runner.mutate(request.base.location, with: plan, platforms: .one(request.platform), role: "SAM base image")
        guard let built = mutation.platforms.first else { throw SAMInputError("\(request.base.location): nothing to build") }

        let timestamp = SAMTags.timestamp(epoch: request.sourceDateEpoch ?? now)
        var tags = [request.primaryTag]
        if request.timestampTag { tags.append(SAMTags.timestamped(request.primaryTag, timestamp: timestamp)) }
        let names = tags.compactMap { target.name(forTag: $0, defaultRepository: TargetRepository.defaultArchiveRepository) }
        var attesters: [Attester] = []
        if attest {
            let request = AttestationRequest(recipe: "sam-plugin", parameters: request.parameters, tag: names.first)
            attesters.append(BuildAttester(mutation: mutation, request: request, subjectName: target.reference(name: nil)))
        }
        let publication = Publication(image: mutation.image, names: names, attesters: attesters, expecting: target.pinned, format: format)
        let published = try await step("target \(request.target.text)") { try await runner.publisher.publish(publication, to: target.destination) }
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
