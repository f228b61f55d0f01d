import Assembly
import Build
import Foundation
import Layers
import OCI

/// `samforge build` for one base: the recipe's plan applied to the base by the run's
/// `PlanRunner`, written to the target under the computed tags. Every input is fetched and
/// every layer written before the first byte is written to the target, so a missing plugin
/// file or tool writes nothing at all.
public struct SAMBuild: Sendable {
    public let runner: PlanRunner
    public var jobs = 4
    /// Attach an SBOM and a provenance statement (OCI 1.1 referrers) to every image.
    public var attest = true
    /// How the new layers are compressed (`--compression`).
    public var compression: Compression = .gzip
    /// Every transfer event (progress lines, the terminal status line).
    public var onEvent: (@Sendable (TransferEvent) -> Void)?

    public init(runner: PlanRunner) {
        self.runner = runner
    }

    /// - Parameter now: the clock, for the timestamp tag when SOURCE_DATE_EPOCH is not set
    ///   (one instant for every image of a run).
    public func run(_ request: SAMBuildRequest, to target: ImageTarget, now: Int64) async throws -> SAMBuildResult {
        var plan = SAMRecipe.plan(for: request)
        plan.compression = compression
        let mutation = try await runner.mutate(request.base.location, with: plan, platforms: .one(request.platform), role: "SAM base image")
        guard let built = mutation.platforms.first else { throw SAMInputError("\(request.base.location): nothing to build") }

        let timestamp = SAMTags.timestamp(epoch: request.sourceDateEpoch ?? now)
        var tags = [request.primaryTag]
        if request.timestampTag { tags.append(SAMTags.timestamped(request.primaryTag, timestamp: timestamp)) }
        let names = tags.compactMap { target.name(forTag: $0, defaultRepository: TargetRepository.defaultArchiveRepository) }
        let attestation = attest ? AttestationRequest(recipe: "sam-plugin", parameters: request.parameters, base: request.base.location, tag: names.first) : nil
        let (report, attestations) = try await step("target \(request.target.text)") {
            try await runner.publish(mutation, plan: plan, to: target, names: names, attestation: attestation, jobs: jobs, onEvent: onEvent)
        }
        let created = (try? ImageConfig.decode(built.image.configBytes))?.created ?? ""
        return SAMBuildResult(target: request.target, tags: tags, finalImage: Self.finalImage(request.target, target: target, name: names.first),
                              digest: report.digest, mediaType: report.mediaType, runtime: request.base.runtime,
                              samVersion: request.base.samVersion, timestamp: timestamp, created: created,
                              base: built.base, layers: built.image.newLayers, transfer: report, attestations: attestations)
    }

    /// `TARGET_REPO:TAG` as typed for a registry; `oci:DIR:NAME`, `docker-archive:FILE:NAME`.
    static func finalImage(_ repository: TargetRepository, target: ImageTarget, name: String?) -> String {
        if case .registry = repository.location { return "\(repository.text):\(name ?? "")" }
        return target.reference(name: name)
    }
}
