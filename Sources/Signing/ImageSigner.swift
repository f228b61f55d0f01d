import OCI

/// Makes cosign's artifacts with one key: signatures and signed attestations, in the legacy
/// form (cosign ≤ 2: `.sig`/`.att` tags) and the bundle form (cosign 3: referrers holding a
/// Sigstore bundle). Pure: the artifacts are values for the image writer.
public struct ImageSigner: Sendable {
    public let key: SigningKey

    public init(key: SigningKey) { self.key = key }

    /// A simple-signing payload signed into the `sha256-HEX.sig` image, appended to `existing`
    /// (that tag's manifest) when there is one; nil when `existing` already holds this key's
    /// signature of the same payload (signing again changes nothing, as cosign's duplicate check).
    /// - Parameter repository: the payload's `docker-reference` (informative).
    public func legacySignature(of digest: Digest, repository: String, existing: RawManifest?) throws -> SignatureArtifact? {
        let payload = SimpleSigning.payload(repository: repository, digest: digest)
        if let existing, hasLayer(existing, digest: Digest.of(payload), signedOver: payload) { return nil }
        return try ArtifactBuilder.legacyImage(tag: CosignTag.signature(for: digest), layer: payload, mediaType: SimpleSigning.mediaType,
                                               annotations: [CosignAnnotation.signature: Base64.encode(try key.sign(payload))],
                                               appendingTo: existing)
    }

    /// cosign v3's signature: the statement `https://sigstore.dev/cosign/sign/v1` over the
    /// subject, in DSSE, in a bundle, as a referrer of `subject`.
    public func bundleSignature(of subject: Descriptor, created: String) throws -> SignatureArtifact {
        try bundleAttestation(InTotoStatement.cosignSignature(of: subject.digest), predicateType: InTotoStatement.cosignSignPredicate,
                              subject: subject, created: created)
    }

    /// A statement signed in DSSE as a layer of the `sha256-HEX.att` image (appended to
    /// `existing`); nil when an existing layer is already this key's envelope of the same
    /// statement (`existingBlobs` holds the layers read from it).
    public func legacyAttestation(_ statement: [UInt8], predicateType: String, of digest: Digest, existing: RawManifest?,
                                  existingBlobs: [Digest: [UInt8]] = [:]) throws -> SignatureArtifact? {
        if let existing, let layers = try? existing.decodeManifest().layers {
            for layer in layers where layer.annotations?[CosignAnnotation.predicateType] == predicateType {
                if let blob = existingBlobs[layer.digest], let envelope = try? DSSEEnvelope(parsing: blob),
                   envelope.payload == statement, envelope.isSigned(by: key.publicKey) { return nil }
            }
        }
        let envelope = try DSSEEnvelope.sign(statement, type: InTotoStatement.payloadType, with: key)
        return try ArtifactBuilder.legacyImage(tag: CosignTag.attestation(for: digest), layer: envelope.attestationLayer,
                                               mediaType: DSSEEnvelope.mediaType,
                                               annotations: [CosignAnnotation.signature: "", CosignAnnotation.predicateType: predicateType],
                                               appendingTo: existing)
    }

    /// A statement signed in DSSE inside a Sigstore bundle, as a referrer of `subject`.
    public func bundleAttestation(_ statement: [UInt8], predicateType: String, subject: Descriptor, created: String) throws -> SignatureArtifact {
        let envelope = try DSSEEnvelope.sign(statement, type: InTotoStatement.payloadType, with: key)
        let bundle = SigstoreBundle(envelope: envelope, publicKeyHint: key.publicKey.hint)
        return try ArtifactBuilder.bundleReferrer(bundle: bundle.encoded, predicateType: predicateType, subject: subject, created: created)
    }

    /// Whether one of `envelopes` is this key's signature of `statement` (a bundle written
    /// before: signing it again would only add a randomized copy).
    public func hasSigned(_ statement: [UInt8], among envelopes: [DSSEEnvelope]) -> Bool {
        envelopes.contains { $0.payload == statement && $0.isSigned(by: key.publicKey) }
    }

    /// Whether `manifest` has a layer of that digest whose signature annotation verifies over
    /// `payload` with this key.
    private func hasLayer(_ manifest: RawManifest, digest: Digest, signedOver payload: [UInt8]) -> Bool {
        guard let layers = try? manifest.decodeManifest().layers else { return false }
        return layers.contains { layer in
            layer.digest == digest
                && layer.annotations?[CosignAnnotation.signature].flatMap(Base64.decode).map { key.publicKey.verifies($0, over: payload) } == true
        }
    }
}
