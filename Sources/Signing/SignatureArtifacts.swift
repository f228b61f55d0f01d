import OCI

/// How an artifact is found from the image it signs.
public enum ArtifactPlacement: Sendable, Equatable {
    /// An OCI 1.1 referrer of `subject`: written by digest, then attached (Referrers API,
    /// referrers tag schema, a layout's index entry).
    case referrer(subject: Descriptor)
    /// A tag in the subject's repository: cosign's `sha256-HEX.sig` or `.att`.
    case tag(String)
}

/// A signature or attestation artifact as a value: manifest bytes and the blobs it adds, ready
/// for the image writer. Layers kept from an existing `.sig`/`.att` manifest are already where
/// that manifest is, so `blobs` holds only what is new.
public struct SignatureArtifact: Sendable {
    public let manifest: RawManifest
    public let blobs: [Digest: [UInt8]]
    public let placement: ArtifactPlacement

    /// How a referrers list names it (with `artifactType` and the manifest's annotations).
    public var descriptor: Descriptor {
        var descriptor = manifest.descriptor()
        if let decoded = try? manifest.decodeManifest() {
            descriptor.artifactType = decoded.artifactType
            descriptor.annotations = decoded.annotations
        }
        return descriptor
    }
}

/// cosign's tags: the digest with `:` as `-`, then `.sig` or `.att`.
public enum CosignTag {
    public static func signature(for digest: Digest) -> String { "sha256-\(digest.hex).sig" }
    public static func attestation(for digest: Digest) -> String { "sha256-\(digest.hex).att" }
}

/// The annotations cosign puts on its layers.
public enum CosignAnnotation {
    public static let signature = "dev.cosignproject.cosign/signature"
    /// On `.att` layers: the statement's predicate type.
    public static let predicateType = "predicateType"
}

enum ArtifactBuilder {
    /// cosign's signature and attestation images: OCI manifests (the existing one's flavour
    /// when appending) whose config is what go-containerregistry's `mutate.Append` makes of
    /// `empty.Image`; one layer per signature, the new one appended to those kept.
    static func legacyImage(tag: String, layer blob: [UInt8], mediaType: String, annotations: [String: String],
                            appendingTo existing: RawManifest?) throws -> SignatureArtifact {
        var layers: [(digest: String, json: GoJSON)] = []
        var manifestType = MediaType.ociManifest, configType = MediaType.ociConfig
        if let existing {
            guard !existing.isIndex, let document = try? JSONValue(parsing: existing.bytes) else {
                throw SigningError.malformed("the existing \(tag) is not an image manifest")
            }
            manifestType = existing.mediaType
            configType = document.member("config")?.member("mediaType")?.stringValue ?? configType
            for entry in document.member("layers")?.arrayValue ?? [] {
                guard let kept = keptLayer(entry) else { throw SigningError.malformed("the existing \(tag) has a layer without mediaType, size or digest") }
                layers.append(kept)
            }
        }
        let digest = Digest.of(blob)
        layers.append((digest.description, descriptorJSON(mediaType: mediaType, size: Int64(blob.count), digest: digest.description, annotations: annotations)))
        let config = configBlob(diffIDs: layers.map(\.digest))
        let configDigest = Digest.of(config)
        let manifest = GoJSON.encode(.object([
            ("schemaVersion", .int(2)),
            ("mediaType", .string(manifestType)),
            ("config", descriptorJSON(mediaType: configType, size: Int64(config.count), digest: configDigest.description, annotations: [:])),
            ("layers", .array(layers.map(\.json))),
        ]))
        return SignatureArtifact(manifest: try RawManifest(bytes: manifest, declaredType: manifestType),
                                 blobs: [digest: blob, configDigest: config], placement: .tag(tag))
    }

    /// The config go-containerregistry writes for an image of static layers: one diff_id
    /// (the layer's digest) and one empty history entry per layer.
    static func configBlob(diffIDs: [String]) -> [UInt8] {
        let zero = "0001-01-01T00:00:00Z"
        return GoJSON.encode(.object([
            ("architecture", .string("")),
            ("created", .string(zero)),
            ("history", .array(diffIDs.map { _ in .object([("created", .string(zero))]) })),
            ("os", .string("")),
            ("rootfs", .object([("type", .string("layers")), ("diff_ids", .array(diffIDs.map { .string($0) }))])),
            ("config", .object([])),
        ]))
    }

    /// A descriptor in go-containerregistry's member order.
    static func descriptorJSON(mediaType: String, size: Int64, digest: String, annotations: [String: String],
                               artifactType: String? = nil) -> GoJSON {
        var members: [(String, GoJSON)] = [("mediaType", .string(mediaType)), ("size", .int(size)), ("digest", .string(digest))]
        if !annotations.isEmpty {
            members.append(("annotations", .object(annotations.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        if let artifactType { members.append(("artifactType", .string(artifactType))) }
        return .object(members)
    }

    /// An existing layer descriptor, re-encoded as cosign would (what go-containerregistry
    /// models: media type, size, digest, annotations).
    static func keptLayer(_ entry: JSONValue) -> (digest: String, json: GoJSON)? {
        guard let mediaType = entry.member("mediaType")?.stringValue, case .int(let size)? = entry.member("size"),
              let digest = entry.member("digest")?.stringValue, (try? Digest(digest)) != nil else { return nil }
        var annotations: [String: String] = [:]
        for (key, value) in entry.member("annotations")?.objectValue ?? [:] {
            if let string = value.stringValue { annotations[key] = string }
        }
        return (digest, descriptorJSON(mediaType: mediaType, size: size, digest: digest, annotations: annotations))
    }

    static let emptyConfig: [UInt8] = Array("{}".utf8)
    static let emptyConfigType = "application/vnd.oci.empty.v1+json"

    /// cosign v3's referrer (`WriteReferrer`): the empty config described as
    /// `application/vnd.oci.empty.v1+json` with the artifact type, one bundle layer,
    /// `subject`, and cosign's annotations; `created` is the caller's (the image's own time,
    /// so the same inputs give the same digest).
    static func bundleReferrer(bundle: [UInt8], predicateType: String, subject: Descriptor, created: String) throws -> SignatureArtifact {
        let type = SigstoreBundle.mediaType
        let bundleDigest = Digest.of(bundle), configDigest = Digest.of(emptyConfig)
        let annotations = [
            "org.opencontainers.image.created": created,
            SigstoreBundle.contentAnnotation: "dsse-envelope",
            SigstoreBundle.predicateTypeAnnotation: predicateType,
        ]
        let manifest = GoJSON.encode(.object([
            ("schemaVersion", .int(2)),
            ("mediaType", .string(MediaType.ociManifest)),
            ("config", descriptorJSON(mediaType: emptyConfigType, size: 2, digest: configDigest.description, annotations: [:], artifactType: type)),
            ("layers", .array([descriptorJSON(mediaType: type, size: Int64(bundle.count), digest: bundleDigest.description, annotations: [:])])),
            ("annotations", .object(annotations.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("subject", descriptorJSON(mediaType: subject.mediaType, size: subject.size, digest: subject.digest.description, annotations: [:])),
            ("artifactType", .string(type)),
        ]))
        return SignatureArtifact(manifest: try RawManifest(bytes: manifest, declaredType: MediaType.ociManifest),
                                 blobs: [bundleDigest: bundle, configDigest: emptyConfig],
                                 placement: .referrer(subject: Descriptor(mediaType: subject.mediaType, digest: subject.digest, size: subject.size)))
    }
}
