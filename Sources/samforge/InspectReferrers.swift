import Assembly
import Foundation
import OCI

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
        var referrers: [Node]
    }
    struct Document: Encodable {
        var mediaType: String
        var digest: Digest
        var size: Int64
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
                              size: referrer.size, annotations: referrer.annotations, documents: documents, referrers: below))
        }
        return nodes
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

    private func render(_ nodes: [Node], prefix: String, into lines: inout [String]) {
        for (offset, node) in nodes.enumerated() {
            let last = offset == nodes.count - 1
            lines.append(prefix + (last ? "└── " : "├── ") + escapedForMessage(node.artifactType ?? node.mediaType)
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
