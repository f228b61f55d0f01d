import Assembly
import Foundation
import OCI

/// Which of cosign's formats to write (`--signature-format`).
public enum SignatureFormats: String, Sendable, CaseIterable {
    case legacy, bundle, both
    var legacy: Bool { self != .bundle }
    var bundle: Bool { self != .legacy }
}

/// Signs what a publication writes, as the last attester: every image (an index and each of
/// its children), and the attestations the earlier attesters attached (the SBOM and the
/// provenance) as signed DSSE attestations of the image they describe, in the formats asked:
/// cosign's `.sig`/`.att` tags (appended to what the destination has) and Sigstore bundle
/// referrers.
public struct SigningAttester: Attester {
    public static let signatureKind = "signature"
    public static let attestationKind = "signed attestation"

    public let signer: ImageSigner
    public let formats: SignatureFormats
    /// The legacy payload's `docker-reference` (the repository, without tag).
    public let repository: String
    /// The bundle referrers' `org.opencontainers.image.created`: the image's own time, so the
    /// same inputs give the same referrer manifests (the signatures themselves are random).
    public let created: String
    /// Sign every child of an index too (build and append always do; `sign --recursive`).
    public let recursive: Bool
    /// Earlier attachments of these kinds are signed as attestations, with their predicate type.
    public let attestedKinds: [String: String]

    public init(signer: ImageSigner, formats: SignatureFormats, repository: String, created: String, recursive: Bool = true,
                attestedKinds: [String: String] = [:]) {
        self.signer = signer
        self.formats = formats
        self.repository = repository
        self.created = created
        self.recursive = recursive
        self.attestedKinds = attestedKinds
    }

    public func attachments(for content: WriteReport, at destination: ImageDestination,
                            earlier: [PublishedAttachment]) async throws -> [Attachment] {
        let root = content.root.descriptor()
        var subjects = [root]
        if recursive { subjects += content.manifests.map(\.written).filter { $0.digest != root.digest } }
        var attachments: [Attachment] = []
        var bundled: [Digest: [DSSEEnvelope]] = [:]
        for subject in subjects {
            if formats.legacy, let existing = try await legacy(of: subject, at: destination) { attachments.append(existing) }
            if formats.bundle {
                bundled[subject.digest] = await Self.bundledEnvelopes(of: subject.digest, at: destination)
                if !signer.hasSigned(InTotoStatement.cosignSignature(of: subject.digest), among: bundled[subject.digest] ?? []) {
                    attachments.append(attachment(try signer.bundleSignature(of: subject, created: created), subject: subject, kind: Self.signatureKind))
                }
            }
        }
        attachments += try await attestations(of: earlier, at: destination, bundled: bundled)
        return attachments
    }

    private func legacy(of subject: Descriptor, at destination: ImageDestination) async throws -> Attachment? {
        let existing = try await destination.taggedManifest(CosignTag.signature(for: subject.digest))
        guard let artifact = try signer.legacySignature(of: subject.digest, repository: repository, existing: existing) else { return nil }
        return attachment(artifact, subject: subject, kind: Self.signatureKind)
    }

    /// The earlier SBOM and provenance of each image, as statements about it: one `.att`
    /// image per subject holding them all (appended to the destination's), one bundle each.
    private func attestations(of earlier: [PublishedAttachment], at destination: ImageDestination,
                              bundled: [Digest: [DSSEEnvelope]]) async throws -> [Attachment] {
        var statements: [(subject: Descriptor, predicateType: String, statement: [UInt8])] = []
        for item in earlier {
            guard let predicateType = attestedKinds[item.kind] else { continue }
            let document = try await Self.document(of: item.attachment.artifact)
            statements.append((item.subject, predicateType, InTotoStatement.wrapping(document, predicateType: predicateType, subject: item.subject.digest)))
        }
        var attachments: [Attachment] = []
        var subjects: [Descriptor] = []
        for entry in statements where !subjects.contains(entry.subject) { subjects.append(entry.subject) }
        for subject in subjects {
            let mine = statements.filter { $0.subject == subject }
            if formats.legacy {
                var manifest = try await destination.taggedManifest(CosignTag.attestation(for: subject.digest))
                let envelopes = await Self.envelopes(in: manifest, of: Set(mine.map(\.predicateType)), at: destination)
                var blobs: [Digest: [UInt8]] = [:], changed = false
                for entry in mine {
                    guard let artifact = try signer.legacyAttestation(entry.statement, predicateType: entry.predicateType, of: subject.digest,
                                                                      existing: manifest, existingBlobs: envelopes) else { continue }
                    manifest = artifact.manifest
                    blobs.merge(artifact.blobs) { new, _ in new }
                    changed = true
                }
                if changed, let manifest {
                    attachments.append(attachment(SignatureArtifact(manifest: manifest, blobs: blobs, placement: .tag(CosignTag.attestation(for: subject.digest))),
                                                  subject: subject, kind: Self.attestationKind))
                }
            }
            if formats.bundle {
                var existing = bundled[subject.digest]
                if existing == nil { existing = await Self.bundledEnvelopes(of: subject.digest, at: destination) }
                for entry in mine where !signer.hasSigned(entry.statement, among: existing ?? []) {
                    attachments.append(attachment(try signer.bundleAttestation(entry.statement, predicateType: entry.predicateType, subject: subject, created: created),
                                                  subject: subject, kind: Self.attestationKind))
                }
            }
        }
        return attachments
    }

    private func attachment(_ artifact: SignatureArtifact, subject: Descriptor, kind: String) -> Attachment {
        let link: Attachment.Link
        switch artifact.placement {
        case .referrer(let subject): link = .referrer(subject: subject)
        case .tag(let tag): link = .tag(tag, subject: subject)
        }
        return Attachment(artifact: MemoryImageSource(manifest: artifact.manifest, blobs: artifact.blobs, description: "\(kind) of \(subject.digest.short)"),
                          link: link, kind: kind)
    }

    /// The envelopes an existing `.att` holds for these predicate types, so a re-run signs only
    /// what is not already signed by this key (cosign's duplicate check); one that cannot be
    /// read is only not compared (the new envelope is appended, as before).
    static func envelopes(in manifest: RawManifest?, of predicateTypes: Set<String>,
                          at destination: ImageDestination) async -> [Digest: [UInt8]] {
        guard let layers = try? manifest?.decodeManifest().layers else { return [:] }
        var envelopes: [Digest: [UInt8]] = [:]
        for layer in layers where layer.annotations?[CosignAnnotation.predicateType].map(predicateTypes.contains) == true {
            envelopes[layer.digest] = try? await destination.existing?.smallBlob(layer, limit: SignatureEvidence.blobLimit)
        }
        return envelopes
    }

    /// The DSSE envelopes of the Sigstore bundles the destination already lists as referrers
    /// of `digest` (none when it cannot say: a new one is then written, as before).
    static func bundledEnvelopes(of digest: Digest, at destination: ImageDestination) async -> [DSSEEnvelope] {
        guard let source = destination.existing,
              let referrers = try? await source.referrers(of: digest) else { return [] }
        var envelopes: [DSSEEnvelope] = []
        for referrer in referrers where referrer.artifactType == SigstoreBundle.mediaType {
            guard let manifest = try? await source.manifest(referrer.digest),
                  let artifact = try? await SignatureEvidence.artifact(source, manifest: manifest, location: "referrer \(referrer.digest)")
            else { continue }
            envelopes += artifact.blobs.values.compactMap { try? SigstoreBundle(parsing: $0).envelope }
        }
        return envelopes
    }

    /// An artifact's one document layer (small: an SBOM or a statement).
    static func document(of artifact: ImageSource) async throws -> [UInt8] {
        let manifest = try await artifact.rootManifest().decodeManifest()
        guard let layer = manifest.layers.first else { throw SigningError.malformed("an attachment to sign has no document layer") }
        return try await artifact.smallBlob(layer, limit: SignatureEvidence.blobLimit)
    }
}

extension InTotoStatement {
    /// `document` as the statement to sign: itself when it already is an in-toto statement
    /// (the provenance), else wrapped as the predicate of one about `subject` (the SPDX SBOM,
    /// as `cosign attest --type spdxjson` wraps it).
    static func wrapping(_ document: [UInt8], predicateType: String, subject: Digest) -> [UInt8] {
        if let statement = try? InTotoStatement(parsing: document), statement.names(subject) { return document }
        return GoJSON.encode(.object([
            ("_type", .string(typeV1)),
            ("subject", .array([.object([("digest", .object([("sha256", .string(subject.hex))]))])])),
            ("predicateType", .string(predicateType)),
            ("predicate", GoJSON(bytes: document)),
        ]))
    }
}
