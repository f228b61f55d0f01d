import OCI

/// cosign's legacy signature payload (containers' simple signing, SIGNATURE_SPEC.md), as
/// sigstore/sigstore's `payload.Cosign` writes it:
/// `{"critical":{"identity":{"docker-reference":REPO},"image":{"docker-manifest-digest":DIGEST},
/// "type":"cosign container image signature"},"optional":ANNOTATIONS or null}`.
public enum SimpleSigning {
    public static let mediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    public static let type = "cosign container image signature"

    /// - Parameter repository: `docker-reference`, the repository without tag or digest
    ///   (informative: verifiers ignore it).
    public static func payload(repository: String, digest: Digest, annotations: [String: String] = [:]) -> [UInt8] {
        let optional: GoJSON = annotations.isEmpty ? .null
            : .object(annotations.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        return GoJSON.encode(.object([
            ("critical", .object([
                ("identity", .object([("docker-reference", .string(repository))])),
                ("image", .object([("docker-manifest-digest", .string(digest.description))])),
                ("type", .string(type)),
            ])),
            ("optional", optional),
        ]))
    }

    /// The digest a payload claims, after checking it is a cosign signature payload. Member
    /// names match case-insensitively, as Go reads them (the spec's example writes
    /// `Docker-manifest-digest`).
    public static func claimedDigest(_ payload: [UInt8]) throws -> String {
        guard let json = try? JSONValue(parsing: payload), let critical = json.member("critical") else {
            throw SigningError.malformed("the payload is not a simple-signing document (no critical section)")
        }
        guard let type = critical.member("type")?.stringValue, type.lowercased() == Self.type else {
            throw SigningError.malformed("the payload's critical.type is not \"\(Self.type)\"")
        }
        guard let digest = critical.member("image")?.member("docker-manifest-digest")?.stringValue else {
            throw SigningError.malformed("the payload names no critical.image.docker-manifest-digest")
        }
        return digest
    }
}

/// An in-toto Statement (v1; v0.1 is read too), the payload of cosign's attestations and of
/// its v3 signatures.
public struct InTotoStatement: Sendable {
    public static let typeV1 = "https://in-toto.io/Statement/v1"
    public static let typeV01 = "https://in-toto.io/Statement/v0.1"
    /// DSSE's payloadType for a statement.
    public static let payloadType = "application/vnd.in-toto+json"
    /// What cosign v3 signs for `cosign sign`: a statement with this predicate type.
    public static let cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

    /// cosign v3's signature statement over `digest`, byte for byte as cosign's protojson
    /// writes it: `{"_type":…,"subject":[{"digest":{"sha256":HEX},"annotations":{}}],
    /// "predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`.
    public static func cosignSignature(of digest: Digest) -> [UInt8] {
        GoJSON.encode(.object([
            ("_type", .string(typeV1)),
            ("subject", .array([.object([("digest", .object([("sha256", .string(digest.hex))])), ("annotations", .object([]))])])),
            ("predicateType", .string(cosignSignPredicate)),
            ("predicate", .object([])),
        ]))
    }

    public let predicateType: String
    /// Every subject's `digest.sha256`.
    public let subjectDigests: [String]
    public let bytes: [UInt8]

    public init(parsing bytes: [UInt8]) throws {
        guard let json = try? JSONValue(parsing: bytes) else { throw SigningError.malformed("the statement is not JSON") }
        guard let type = json.member("_type")?.stringValue, [Self.typeV1, Self.typeV01].contains(type) else {
            throw SigningError.malformed("the payload is not an in-toto statement (_type is not \(Self.typeV1))")
        }
        guard let predicateType = json.member("predicateType")?.stringValue else {
            throw SigningError.malformed("the statement has no predicateType")
        }
        self.predicateType = predicateType
        subjectDigests = (json.member("subject")?.arrayValue ?? []).compactMap { $0.member("digest")?.member("sha256")?.stringValue }
        self.bytes = bytes
    }

    /// True when a subject names `digest`.
    public func names(_ digest: Digest) -> Bool { subjectDigests.contains { $0.lowercased() == digest.hex } }
}
