import Assembly
import Foundation
import OCI
import Signing

/// `inspect --referrers`: the artifacts that refer to an image (SBOMs, provenance,
/// signatures; the OCI 1.1 Referrers API or tag schema, a layout's artifact entries) as a
/// tree, referrers of referrers below them; for an index, those of each platform too.
struct ReferrersView: Encodable {
    struct Node: Encodable {
        var artifactType: String?
        var mediaType: String
        var digest: Digest
        var size: Int64
        var annotations: [String: String]?
        /// The artifact's layers: the documents themselves (`samforge blob LOCATION@DIGEST`).
        var documents: [Document]?
        /// Set for cosign's artifacts: a signature or a signed attestation, and its format.
        var signature: SignatureKind?
        var referrers: [Node]
    }
    struct Document: Encodable {
        var mediaType: String
        var digest: Digest
        var size: Int64
    }
    /// What a cosign artifact is: `signature` or `attestation` (with its predicate types), in
    /// the `legacy` (a `.sig`/`.att` tag) or `bundle` (a Sigstore bundle referrer) format.
    struct SignatureKind: Encodable {
        var kind: String
        var format: String
        var predicateTypes: [String]?
        var tag: String?
        var count: Int?
    }
    struct Subject: Encodable {
        var digest: Digest
        var platform: String?
        var referrers: [Node]
    }
    var subjects: [Subject]

    static let maximumDepth = 3

    static func load(_ source: ImageSource) async throws -> ReferrersView {
        let root = try await source.rootManifest()
        var subjects = [Subject(digest: root.digest, platform: nil, referrers: try await nodes(of: root.digest, source, depth: 1))]
        if root.isIndex, let index = try? root.decodeIndex() {
            for child in index.manifests where child.artifactType == nil {
                subjects.append(Subject(digest: child.digest, platform: child.platform?.description,
                                        referrers: try await nodes(of: child.digest, source, depth: 1)))
            }
        }
        return ReferrersView(subjects: subjects)
    }

    static func nodes(of digest: Digest, _ source: ImageSource, depth: Int) async throws -> [Node] {
        var nodes: [Node] = []
        for referrer in try await source.referrers(of: digest) {
            let below = depth < maximumDepth ? try await self.nodes(of: referrer.digest, source, depth: depth + 1) : []
            // An index referrer has no documents of its own; a manifest's layers are them.
            let documents = MediaType.isIndex(referrer.mediaType) ? nil
                : try await source.manifest(referrer.digest).decodeManifest().layers.map { Document(mediaType: $0.mediaType, digest: $0.digest, size: $0.size) }
            nodes.append(Node(artifactType: referrer.artifactType, mediaType: referrer.mediaType, digest: referrer.digest,
                              size: referrer.size, annotations: referrer.annotations, documents: documents,
                              signature: bundleKind(referrer), referrers: below))
        }
        for tagged in try await source.cosignTags(of: digest) where !tagged.tag.hasSuffix(".sbom") {
            let manifest = try await tagged.source.rootManifest()
            let layers = (try? manifest.decodeManifest().layers) ?? []
            let attestation = tagged.tag.hasSuffix(".att")
            let types = attestation ? Array(Set(layers.compactMap { $0.annotations?[CosignAnnotation.predicateType] })).sorted() : nil
            nodes.append(Node(artifactType: nil, mediaType: manifest.mediaType, digest: manifest.digest, size: Int64(manifest.bytes.count),
                              annotations: nil, documents: layers.map { Document(mediaType: $0.mediaType, digest: $0.digest, size: $0.size) },
                              signature: SignatureKind(kind: attestation ? "attestation" : "signature", format: "legacy",
                                                       predicateTypes: types, tag: tagged.tag, count: layers.count),
                              referrers: []))
        }
        return nodes
    }

    /// A Sigstore bundle referrer is a cosign signature (predicate type
    /// https://sigstore.dev/cosign/sign/v1) or a signed attestation, as its annotation says.
    static func bundleKind(_ referrer: Descriptor) -> SignatureKind? {
        guard referrer.artifactType == SigstoreBundle.mediaType else { return nil }
        let type = referrer.annotations?[SigstoreBundle.predicateTypeAnnotation]
        if type == InTotoStatement.cosignSignPredicate { return SignatureKind(kind: "signature", format: "bundle") }
        return SignatureKind(kind: "attestation", format: "bundle", predicateTypes: type.map { [$0] })
    }

    /// `├── TYPE  DIGEST  SIZE` lines, annotations below each, every value escaped.
    func humanView() -> String {
        var lines: [String] = []
        for subject in subjects where subject.platform == nil || !subject.referrers.isEmpty {
            lines.append("\(subject.digest)" + (subject.platform.map { " (\(escapedForMessage($0)))" } ?? "")
                         + (subject.referrers.isEmpty ? ": no referrers" : ""))
            render(subject.referrers, prefix: "", into: &lines)
        }
        return lines.joined(separator: "\n")
    }

    /// `signature (cosign bundle)`, `2 signatures (cosign tag sha256-….sig)`,
    /// `signed attestation https://spdx.dev/Document (cosign bundle)`.
    static func label(_ kind: SignatureKind) -> String {
        let types = (kind.predicateTypes ?? []).joined(separator: ", ")
        let what = kind.kind == "signature" ? "signature" : "signed attestation"
        let counted = kind.count.map { "\($0) \(what)\($0 == 1 ? "" : "s")" } ?? what
        return counted + (types.isEmpty ? "" : " " + types) + " (cosign " + (kind.tag.map { "tag " + $0 } ?? "bundle") + ")"
    }

    private func render(_ nodes: [Node], prefix: String, into lines: inout [String]) {
        for (offset, node) in nodes.enumerated() {
            let last = offset == nodes.count - 1
            lines.append(prefix + (last ? "└── " : "├── ") + escapedForMessage(node.signature.map(Self.label) ?? node.artifactType ?? node.mediaType)
                         + "  \(node.digest)  \(humanSize(node.size))")
            let inner = prefix + (last ? "    " : "│   ")
            for (key, value) in (node.annotations ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append(inner + "  " + escapedForMessage(key) + "=" + escapedForMessage(value))
            }
            for document in node.documents ?? [] {
                lines.append(inner + "  document \(document.digest)  \(humanSize(document.size))  \(escapedForMessage(document.mediaType))")
            }
            render(node.referrers, prefix: inner, into: &lines)
        }
    }
}
