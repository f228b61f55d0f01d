import OCI

/// A DSSE envelope (secure-systems-lab/dsse): a payload, its type, and signatures over the
/// pre-authentication encoding `"DSSEv1" SP len(type) SP type SP len(body) SP body`.
public struct DSSEEnvelope: Sendable {
    public static let mediaType = "application/vnd.dsse.envelope.v1+json"

    public struct Signature: Sendable {
        public var keyID: String
        public var bytes: [UInt8]
    }

    public let payloadType: String
    public let payload: [UInt8]
    public let signatures: [Signature]

    public static func pae(type: String, payload: [UInt8]) -> [UInt8] {
        Array("DSSEv1 \(type.utf8.count) \(type) \(payload.count) ".utf8) + payload
    }

    /// Signs `payload` with `key` (no key id, as cosign writes it).
    public static func sign(_ payload: [UInt8], type: String, with key: SigningKey) throws -> DSSEEnvelope {
        DSSEEnvelope(payloadType: type, payload: payload,
                     signatures: [Signature(keyID: "", bytes: try key.sign(pae(type: type, payload: payload)))])
    }

    init(payloadType: String, payload: [UInt8], signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// Reads an envelope: its members by name (either writer's order), base64 standard or
    /// URL-safe, as the Go verifiers take it.
    public init(json: JSONValue) throws {
        guard let type = json.member("payloadType")?.stringValue,
              let payload = json.member("payload")?.stringValue.flatMap(Base64.decode) else {
            throw SigningError.malformed("the DSSE envelope has no payloadType or base64 payload")
        }
        var signatures: [Signature] = []
        for entry in json.member("signatures")?.arrayValue ?? [] {
            guard let sig = entry.member("sig")?.stringValue.flatMap(Base64.decode) else {
                throw SigningError.malformed("a DSSE signature is not base64")
            }
            signatures.append(Signature(keyID: entry.member("keyid")?.stringValue ?? "", bytes: sig))
        }
        guard !signatures.isEmpty else { throw SigningError.malformed("the DSSE envelope holds no signature") }
        (payloadType, self.payload, self.signatures) = (type, payload, signatures)
    }

    public init(parsing bytes: [UInt8]) throws {
        guard let json = try? JSONValue(parsing: bytes) else { throw SigningError.malformed("the DSSE envelope is not JSON") }
        try self.init(json: json)
    }

    /// True when one of the signatures is `key`'s over the PAE.
    public func isSigned(by key: VerifyingKey) -> Bool {
        let message = Self.pae(type: payloadType, payload: payload)
        return signatures.contains { key.verifies($0.bytes, over: message) }
    }

    /// The `.att` layer: the envelope as cosign 2 (sigstore/sigstore's DSSE wrapper) writes it,
    /// `{"payloadType":…,"payload":…,"signatures":[{"keyid":"","sig":…}]}`.
    public var attestationLayer: [UInt8] {
        GoJSON.encode(.object([
            ("payloadType", .string(payloadType)),
            ("payload", .string(Base64.encode(payload))),
            ("signatures", .array(signatures.map { .object([("keyid", .string($0.keyID)), ("sig", .string(Base64.encode($0.bytes)))]) })),
        ]))
    }

    /// As a Sigstore bundle holds it (protojson: field order, an empty key id left out).
    var bundleJSON: GoJSON {
        .object([
            ("payload", .string(Base64.encode(payload))),
            ("payloadType", .string(payloadType)),
            ("signatures", .array(signatures.map { signature in
                .object([("sig", .string(Base64.encode(signature.bytes)))] + (signature.keyID.isEmpty ? [] : [("keyid", .string(signature.keyID))]))
            })),
        ])
    }
}

/// A Sigstore bundle v0.3 holding a DSSE envelope and a public-key hint: what cosign v3 writes
/// for a key-signed signature or attestation without a transparency log. Field order is
/// protojson's (the proto field numbers), as sigstore-go marshals it.
public struct SigstoreBundle: Sendable {
    public static let mediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
    /// cosign's referrer annotations.
    public static let contentAnnotation = "dev.sigstore.bundle.content"
    public static let predicateTypeAnnotation = "dev.sigstore.bundle.predicateType"

    public let envelope: DSSEEnvelope
    public let publicKeyHint: String?

    public init(envelope: DSSEEnvelope, publicKeyHint: String?) {
        self.envelope = envelope
        self.publicKeyHint = publicKeyHint
    }

    public var encoded: [UInt8] {
        var material: [(String, GoJSON)] = []
        if let publicKeyHint { material.append(("publicKey", .object([("hint", .string(publicKeyHint))]))) }
        return GoJSON.encode(.object([
            ("mediaType", .string(Self.mediaType)),
            ("verificationMaterial", .object(material)),
            ("dsseEnvelope", envelope.bundleJSON),
        ]))
    }

    /// Any Sigstore bundle version's JSON; one without a DSSE envelope (a message signature,
    /// what `cosign sign-blob` makes) is not an image signature and is refused.
    public init(parsing bytes: [UInt8]) throws {
        guard let json = try? JSONValue(parsing: bytes) else { throw SigningError.malformed("the bundle is not JSON") }
        guard let mediaType = json.member("mediaType")?.stringValue, mediaType.hasPrefix("application/vnd.dev.sigstore.bundle") else {
            throw SigningError.malformed("not a Sigstore bundle (mediaType is not application/vnd.dev.sigstore.bundle…)")
        }
        guard let envelope = json.member("dsseEnvelope") else {
            throw SigningError.malformed("the bundle holds no DSSE envelope")
        }
        self.envelope = try DSSEEnvelope(json: envelope)
        publicKeyHint = json.member("verificationMaterial")?.member("publicKey")?.member("hint")?.stringValue
    }
}
