import Assembly
import Attestations
import Foundation
import OCI
import Streams

/// What the documents say about a build besides what the mutation knows.
public struct AttestationRequest: Sendable {
    /// `sam-plugin` or `append` (the build type).
    public var recipe: String
    /// The command's inputs, never credentials.
    public var parameters: [String: String]
    /// The name the image is written under (its primary tag), when it has one.
    public var tag: String?

    public init(recipe: String, parameters: [String: String], tag: String?) {
        self.recipe = recipe
        self.parameters = parameters
        self.tag = tag
    }
}

/// An SPDX SBOM and an in-toto SLSA provenance statement for each platform's image of a
/// mutation, as OCI 1.1 referrers of the manifest the destination really has (after any
/// `--format` rewrite), built from what the mutation resolved.
public struct BuildAttester: Attester {
    public static let sbomKind = "sbom"
    public static let provenanceKind = "provenance"

    public let mutation: Mutation
    public let request: AttestationRequest
    /// How the documents name the image: `registry.example.com/team/app`, `oci:DIR`, …
    public let subjectName: String
    /// Where the SBOM is written (a file of the workspace) when given, rather than kept in memory.
    public let workspace: BuildWorkspace?

    public init(mutation: Mutation, request: AttestationRequest, subjectName: String, workspace: BuildWorkspace? = nil) {
        self.mutation = mutation
        self.request = request
        self.subjectName = subjectName
        self.workspace = workspace
    }

    public func attachments(for content: WriteReport, at destination: ImageDestination,
                            earlier: [PublishedAttachment]) async throws -> [Attachment] {
        var attachments: [Attachment] = []
        for built in mutation.platforms {
            guard let subject = content.written(built.image.manifest.digest) else { continue }
            let record = record(built, subject: subject)
            attachments.append(try await sbom(record, subject: subject))
            let provenance = try ReferrerArtifact(document: try ProvenanceStatement.encode(record), mediaType: ProvenanceStatement.mediaType,
                                                  title: "provenance.intoto.json", subject: subject, created: record.created)
            let source = MemoryImageSource(manifest: provenance.manifest, blobs: provenance.blobs,
                                           description: "\(Self.provenanceKind) of \(subject.digest.short)")
            attachments.append(Attachment(artifact: source, link: .referrer(subject: subject), kind: Self.provenanceKind))
        }
        return attachments
    }

    /// Everything the documents say about one platform's image.
    func record(_ built: Mutation.Platform, subject: Descriptor) -> BuildRecord {
        let files = built.image.newLayers.flatMap(\.files).map { BuildRecord.File(path: $0.path, sha256: $0.sha256, sha1: $0.sha1, size: $0.size) }
        return BuildRecord(subject: BuildRecord.Subject(name: subjectName, tag: request.tag, manifest: subject), platform: built.platform,
                           inputs: built.inputs.map(\.record), files: Self.unique(files), created: built.created,
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
}
