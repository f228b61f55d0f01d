import OCI

/// The two ways cosign stores a signature.
public enum SignatureFormat: String, Sendable, Encodable {
    /// cosign ≤ 2: the `sha256-HEX.sig` / `.att` tag.
    case legacy
    /// cosign 3: an OCI 1.1 referrer holding a Sigstore bundle.
    case bundle
}

/// What a location holds about one digest's signatures, read by `SignatureEvidence.read`.
public struct SignatureEvidence: Sendable {
    public struct Artifact: Sendable {
        /// Where it was found, for the user: `tag sha256-….sig`, `referrer sha256:…`.
        public let location: String
        public let manifest: RawManifest
        /// Layer blobs read (small, capped), by digest.
        public let blobs: [Digest: [UInt8]]
        /// Layer blobs that could not be read as their digest says (damaged, missing), with why.
        public let damaged: [Digest: String]

        public init(location: String, manifest: RawManifest, blobs: [Digest: [UInt8]], damaged: [Digest: String] = [:]) {
            self.location = location
            self.manifest = manifest
            self.blobs = blobs
            self.damaged = damaged
        }

        var layers: [Descriptor] { (try? manifest.decodeManifest().layers) ?? [] }
    }

    public var signatureTag: Artifact?
    public var attestationTag: Artifact?
    public var referrers: [Artifact]

    public init(signatureTag: Artifact? = nil, attestationTag: Artifact? = nil, referrers: [Artifact] = []) {
        self.signatureTag = signatureTag
        self.attestationTag = attestationTag
        self.referrers = referrers
    }
}

/// A signature that verified.
public struct VerifiedSignature: Sendable, Encodable {
    public let digest: Digest
    public let format: SignatureFormat
    public let location: String
    /// The attestation's (or cosign v3 signature's) statement type.
    public let predicateType: String?
    /// The verified in-toto statement, for attestations.
    public let statement: JSONValue?
}

/// Why nothing verified: one line each, the most telling one when several apply.
public enum VerificationFailure: KindedError, Sendable, Equatable {
    case unsigned(String)
    case wrongKey(String)
    case tampered(String)
    case otherDigest(String)

    public var kind: ErrorKind {
        switch self {
        case .unsigned: return .notFound
        case .wrongKey: return .auth
        case .tampered, .otherDigest: return .corrupt
        }
    }

    public var description: String {
        switch self {
        case .unsigned(let message), .wrongKey(let message), .tampered(let message), .otherDigest(let message): return message
        }
    }
}

/// cosign's checks, key-based and offline (what `cosign verify --key K --insecure-ignore-tlog`
/// and `cosign verify-attestation` accept): the signature verifies with the key over the exact
/// payload bytes, and the payload names the digest.
public struct SignatureVerifier: Sendable {
    public let key: VerifyingKey
    /// How messages name the key (its path).
    public let keyName: String

    public init(key: VerifyingKey, keyName: String) {
        self.key = key
        self.keyName = keyName
    }

    /// The signatures by this key over `digest`, in either format.
    public func verifySignatures(of digest: Digest, in evidence: SignatureEvidence) -> Result<[VerifiedSignature], VerificationFailure> {
        var outcomes = (evidence.signatureTag.map { legacySignatures($0, digest) } ?? [])
        outcomes += evidence.referrers.flatMap { bundles($0, digest, predicateType: InTotoStatement.cosignSignPredicate) }
        return conclude(outcomes, digest: digest, what: "cosign signature")
    }

    /// The attestations of `predicateType` by this key over `digest`, in either format.
    public func verifyAttestations(of digest: Digest, predicateType: String, in evidence: SignatureEvidence) -> Result<[VerifiedSignature], VerificationFailure> {
        var outcomes = (evidence.attestationTag.map { legacyAttestations($0, digest, predicateType: predicateType) } ?? [])
        outcomes += evidence.referrers.flatMap { bundles($0, digest, predicateType: predicateType) }
        return conclude(outcomes, digest: digest, what: "signed \(predicateType) attestation")
    }

    enum Outcome {
        case verified(VerifiedSignature)
        case wrongKey
        case tampered(String)
        case otherDigest(String)
    }

    private func conclude(_ outcomes: [Outcome], digest: Digest, what: String) -> Result<[VerifiedSignature], VerificationFailure> {
        let verified = outcomes.compactMap { if case .verified(let signature) = $0 { return signature } else { return nil } }
        if !verified.isEmpty { return .success(verified) }
        for outcome in outcomes { if case .otherDigest(let message) = outcome { return .failure(.otherDigest(message)) } }
        for outcome in outcomes { if case .tampered(let message) = outcome { return .failure(.tampered(message)) } }
        if !outcomes.isEmpty {
            return .failure(.wrongKey("\(digest) has \(outcomes.count) \(what)\(outcomes.count == 1 ? "" : "s"), none by \(keyName): signed with another key (or altered after signing)"))
        }
        return .failure(.unsigned("\(digest) has no \(what) (no \(what.hasSuffix("signature") ? CosignTag.signature(for: digest) : CosignTag.attestation(for: digest)) tag, no Sigstore bundle referrer)"))
    }

    private func legacySignatures(_ artifact: SignatureEvidence.Artifact, _ digest: Digest) -> [Outcome] {
        artifact.layers.compactMap { layer -> Outcome? in
            guard let encoded = layer.annotations?[CosignAnnotation.signature], !encoded.isEmpty else { return nil }
            guard let payload = artifact.blobs[layer.digest] else { return damaged(artifact, layer) }
            guard let signature = Base64.decode(encoded), key.verifies(signature, over: payload) else { return .wrongKey }
            guard let claimed = try? SimpleSigning.claimedDigest(payload) else {
                return .otherDigest("\(artifact.location): the payload \(layer.digest) signed by \(keyName) is not a cosign image signature")
            }
            guard claimed.lowercased() == digest.description else {
                return .otherDigest("\(artifact.location): the signature by \(keyName) is of \(escapedForMessage(claimed)), not of \(digest) (a signature copied from another image)")
            }
            return .verified(VerifiedSignature(digest: digest, format: .legacy, location: artifact.location, predicateType: nil, statement: nil))
        }
    }

    private func legacyAttestations(_ artifact: SignatureEvidence.Artifact, _ digest: Digest, predicateType: String) -> [Outcome] {
        artifact.layers.compactMap { layer -> Outcome? in
            guard layer.mediaType == DSSEEnvelope.mediaType else { return nil }
            guard let blob = artifact.blobs[layer.digest] else { return damaged(artifact, layer) }
            guard let envelope = try? DSSEEnvelope(parsing: blob) else {
                return .tampered("\(artifact.location): the attestation layer \(layer.digest) is not a DSSE envelope")
            }
            return statementOutcome(envelope, digest, predicateType: predicateType, format: .legacy, location: artifact.location, hintNamesKey: false)
        }
    }

    private func bundles(_ artifact: SignatureEvidence.Artifact, _ digest: Digest, predicateType: String) -> [Outcome] {
        artifact.layers.compactMap { layer -> Outcome? in
            guard layer.mediaType == SigstoreBundle.mediaType else { return nil }
            guard let blob = artifact.blobs[layer.digest] else { return damaged(artifact, layer) }
            guard let bundle = try? SigstoreBundle(parsing: blob) else { return nil }  // cosign skips what is no DSSE bundle
            return statementOutcome(bundle.envelope, digest, predicateType: predicateType, format: .bundle, location: artifact.location,
                                    hintNamesKey: bundle.publicKeyHint == key.hint)
        }
    }

    /// A DSSE envelope of an in-toto statement: signed by the key, of the predicate type
    /// wanted (others are not candidates), naming the digest.
    private func statementOutcome(_ envelope: DSSEEnvelope, _ digest: Digest, predicateType: String, format: SignatureFormat,
                                  location: String, hintNamesKey: Bool) -> Outcome? {
        guard envelope.isSigned(by: key) else {
            let statement = try? InTotoStatement(parsing: envelope.payload)
            if let statement, statement.predicateType != predicateType { return nil }
            if hintNamesKey {
                return .tampered("\(location): the bundle names \(keyName) as its key but its signature does not verify: the payload was altered after signing")
            }
            return .wrongKey
        }
        guard envelope.payloadType == InTotoStatement.payloadType, let statement = try? InTotoStatement(parsing: envelope.payload) else {
            return .otherDigest("\(location): the envelope signed by \(keyName) does not hold an in-toto statement")
        }
        guard statement.predicateType == predicateType else { return nil }
        guard statement.names(digest) else {
            let named = statement.subjectDigests.map { "sha256:" + $0 }.joined(separator: ", ")
            return .otherDigest("\(location): the statement signed by \(keyName) is about \(escapedForMessage(named.isEmpty ? "no digest" : named)), not \(digest) (copied from another image)")
        }
        let document = try? JSONValue(parsing: statement.bytes)
        return .verified(VerifiedSignature(digest: digest, format: format, location: location, predicateType: statement.predicateType,
                                           statement: predicateType == InTotoStatement.cosignSignPredicate ? nil : document))
    }

    private func damaged(_ artifact: SignatureEvidence.Artifact, _ layer: Descriptor) -> Outcome {
        .tampered("\(artifact.location): the layer \(layer.digest) \(artifact.damaged[layer.digest] ?? "could not be read"): the signature's payload was altered or removed")
    }
}

/// cosign's short names for `--type`, and any URI as itself.
public enum PredicateTypes {
    public static let shortNames = [
        "custom": "https://cosign.sigstore.dev/attestation/v1",
        "slsaprovenance": "https://slsa.dev/provenance/v0.2",
        "slsaprovenance02": "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1": "https://slsa.dev/provenance/v1",
        "spdx": "https://spdx.dev/Document",
        "spdxjson": "https://spdx.dev/Document",
        "cyclonedx": "https://cyclonedx.org/bom",
        "link": "https://in-toto.io/Link/v1",
        "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex": "https://openvex.dev/ns",
    ]

    /// The URI `name` stands for, or nil when it is neither a short name nor a URI.
    public static func resolve(_ name: String) -> String? {
        if let uri = shortNames[name] { return uri }
        guard let colon = name.firstIndex(of: ":"), colon != name.startIndex,
              name[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }),
              !name.contains(where: { $0.isWhitespace || $0.isNewline }) else { return nil }
        return name
    }
}
