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

    public init(mutation: Mutation, request: AttestationRequest, subjectName: String) {
        self.mutation = mutation
        self.request = request
        self.subjectName = subjectName
    }

    public func attachments(for content: WriteReport, at destination: ImageDestination,
                            earlier: [PublishedAttachment]) async throws -> [Attachment] {
        var attachments: [Attachment] = []
        for built in mutation.platforms {
            guard let subject = content.written(built.image.manifest.digest) else { continue }
            let record = record(built, subject: subject)
            let documents = [(Self.sbomKind, try SPDXDocument.encode(record), SPDXDocument.mediaType, "sbom.spdx.json"),
                             (Self.provenanceKind, try ProvenanceStatement.encode(record), ProvenanceStatement.mediaType, "provenance.intoto.json")]
            for (kind, document, mediaType, title) in documents {
                let artifact = try ReferrerArtifact(document: document, mediaType: mediaType, title: title, subject: subject, created: record.created)
                let source = MemoryImageSource(manifest: artifact.manifest, blobs: artifact.blobs,
                                               description: "\(kind) of \(subject.digest.short)")
                attachments.append(Attachment(artifact: source, link: .referrer(subject: subject), kind: kind))
            }
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

    /// A later layer's file replaces an earlier one at the same path.
    static func unique(_ files: [BuildRecord.File]) -> [BuildRecord.File] {
        var byPath: [String: BuildRecord.File] = [:]
        for file in files { byPath[file.path] = file }
        return byPath.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }
}
