import Assembly
import Attestations
import Foundation
import OCI
import Streams

/// What the documents say about a build besides what the runner knows.
public struct AttestationRequest: Sendable {
    /// `sam-plugin` or `append` (the build type).
    public var recipe: String
    /// The command's inputs, never credentials.
    public var parameters: [String: String]
    /// The base as given.
    public var base: ImageLocation
    /// The name the image is written under (its primary tag), when it has one.
    public var tag: String?

    public init(recipe: String, parameters: [String: String], base: ImageLocation, tag: String?) {
        self.recipe = recipe
        self.parameters = parameters
        self.base = base
        self.tag = tag
    }
}

/// One platform's SBOM and provenance, as written.
public struct Attestation: Sendable {
    public let platform: Platform
    public let subject: Descriptor
    public let sbom: ReferrerArtifact
    public let provenance: ReferrerArtifact
}

extension PlanRunner {
    /// Writes an SPDX SBOM and an in-toto SLSA provenance statement for each platform's image
    /// of `mutation` to `target`, as OCI 1.1 referrers of that platform's manifest, through the
    /// same writer as every image. nil when the destination keeps no referrers (an archive).
    public func attest(_ mutation: Mutation, plan: ImagePlan, request: AttestationRequest, to target: ImageTarget,
                       onEvent: (@Sendable (TransferEvent) -> Void)? = nil) async throws -> [Attestation]? {
        guard target.destination.referrersSupport != .none else { return nil }
        var written: [Attestation] = []
        for built in mutation.platforms {
            let platform = built.base.config.platform ?? .linuxAMD64
            let record = try await self.record(built, plan: plan, platform: platform, request: request, target: target)
            let subject = built.image.manifest.descriptor()
            let (sbom, sbomFile) = try await sbomArtifact(record, subject: subject)
            let provenance = try ReferrerArtifact(document: try ProvenanceStatement.encode(record), mediaType: ProvenanceStatement.mediaType,
                                                  title: "provenance.intoto.json", subject: subject, created: record.created)
            for artifact in [sbom, provenance] {
                let source = MemoryImageSource(manifest: artifact.manifest, blobs: artifact.blobs, files: [sbom.documentDescriptor.digest: sbomFile],
                                               description: "\(artifact.artifactType) of \(subject.digest.short)")
                _ = try await ImageWriter(source: source, destination: target.destination, options: WriteOptions(ledger: ledger, onEvent: onEvent))
                    .write(names: [])
            }
            try await target.destination.attachReferrers([sbom.descriptor, provenance.descriptor], to: subject)
            written.append(Attestation(platform: platform, subject: subject, sbom: sbom, provenance: provenance))
        }
        return written
    }

    /// Everything the documents say about one platform's image.
    func record(_ built: Mutation.Platform, plan: ImagePlan, platform: Platform, request: AttestationRequest,
                target: ImageTarget) async throws -> BuildRecord {
        var used = [Self.imageInput(request.base, kind: .baseImage, role: "base image", digest: built.base.manifest.digest)]
        var seen: Set<String> = []
        for operation in plan.layers.flatMap(\.operations) {
            switch operation {
            case .copy(let copy) where seen.insert(copy.image.description).inserted:
                let image = try await inputs.image(copy.image, platform: platform, role: copy.role)
                used.append(Self.imageInput(copy.image, kind: .image, role: copy.role, digest: image.manifest.digest))
            case .file(let file) where seen.insert(file.input.description).inserted:
                let digest = try await inputs.sha256(of: file.input, role: file.role)
                let kind: BuildRecord.Input.Kind = file.input.isLocal ? .file : .download
                used.append(BuildRecord.Input(kind: kind, role: file.role, location: file.input.description, digest: digest))
            default:
                break
            }
        }
        let files = built.image.newLayers.flatMap(\.files).map { BuildRecord.File(path: $0.path, sha256: $0.sha256, sha1: $0.sha1, size: $0.size) }
        let created = (try? ImageConfig.decode(built.image.configBytes))?.created ?? "1970-01-01T00:00:00Z"
        let subject = BuildRecord.Subject(name: target.reference(name: nil), tag: request.tag, manifest: built.image.manifest.descriptor())
        return BuildRecord(subject: subject, platform: platform, inputs: used, files: Self.unique(files), created: created,
                           recipe: request.recipe, parameters: request.parameters)
    }

    /// A later layer's file replaces an earlier one at the same path (paths compared as bytes,
    /// as the layers do). Sorted, not mapped: a copy of 100,000 files made a 34 MB map here.
    static func unique(_ files: [BuildRecord.File]) -> [BuildRecord.File] {
        let order = files.indices.sorted { a, b in
            files[a].path.utf8.elementsEqual(files[b].path.utf8) ? a < b : files[a].path.utf8.lexicographicallyPrecedes(files[b].path.utf8)
        }
        var result: [BuildRecord.File] = []
        result.reserveCapacity(order.count)
        for (position, index) in order.enumerated() {
            if position + 1 < order.count, files[order[position + 1]].path.utf8.elementsEqual(files[index].path.utf8) { continue }
            result.append(files[index])
        }
        return result
    }

    static func imageInput(_ location: ImageLocation, kind: BuildRecord.Input.Kind, role: String, digest: Digest) -> BuildRecord.Input {
        let reference = location.registryReference
        return BuildRecord.Input(kind: kind, role: role, location: location.description, repository: reference?.repositoryName,
                                 tag: reference?.tag, digest: digest)
    }
}
