import Assembly
import OCI

extension SignatureEvidence {
    /// The most a signature layer may weigh (an attestation can hold a large SBOM).
    public static let blobLimit = 16 << 20
    /// cosign refuses more than 1000 signatures in one image; so does this.
    public static let layerLimit = 1000

    /// What `source` holds about `digest`: the `.sig` and `.att` tags and the referrers that
    /// may be Sigstore bundles, with their signature layers' blobs. A blob that is not what
    /// its digest says (or is missing) is recorded as damaged, not thrown: that is evidence of
    /// tampering, for the verifier to report.
    public static func read(_ source: ImageSource, digest: Digest) async throws -> SignatureEvidence {
        var evidence = SignatureEvidence()
        for tagged in try await source.cosignTags(of: digest) {
            if tagged.tag == CosignTag.signature(for: digest) {
                evidence.signatureTag = try await artifact(tagged.source, manifest: try await tagged.source.rootManifest(), location: "tag \(tagged.tag)")
            } else if tagged.tag == CosignTag.attestation(for: digest) {
                evidence.attestationTag = try await artifact(tagged.source, manifest: try await tagged.source.rootManifest(), location: "tag \(tagged.tag)")
            }
        }
        for referrer in try await source.referrers(of: digest) where referrer.artifactType == nil || referrer.artifactType == SigstoreBundle.mediaType {
            let manifest = try await source.manifest(referrer.digest)
            evidence.referrers.append(try await artifact(source, manifest: manifest, location: "referrer \(referrer.digest)"))
        }
        return evidence
    }

    static let signatureLayerTypes: Set<String> = [SimpleSigning.mediaType, DSSEEnvelope.mediaType, SigstoreBundle.mediaType]

    static func artifact(_ source: ImageSource, manifest: RawManifest, location: String) async throws -> Artifact {
        guard !manifest.isIndex, let layers = try? manifest.decodeManifest().layers else {
            return Artifact(location: location, manifest: manifest, blobs: [:])
        }
        guard layers.count <= layerLimit else {
            throw SigningError.malformed("\(location) has \(layers.count) layers, more than the \(layerLimit) cosign allows")
        }
        var blobs: [Digest: [UInt8]] = [:], damaged: [Digest: String] = [:]
        for layer in layers where signatureLayerTypes.contains(layer.mediaType) && blobs[layer.digest] == nil {
            do {
                blobs[layer.digest] = try await source.smallBlob(layer, limit: blobLimit)
            } catch where [.corrupt, .notFound].contains(errorKind(of: error)) {
                damaged[layer.digest] = errorKind(of: error) == .notFound ? "is missing" : "does not match its digest"
            }
        }
        return Artifact(location: location, manifest: manifest, blobs: blobs, damaged: damaged)
    }
}
