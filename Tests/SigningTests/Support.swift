import Foundation
import OCI
import TestSupport
@testable import Signing

/// Real bytes cosign made (keys with their passwords, signatures, envelopes, bundles), kept
/// out of git: `SAMFORGE_COSIGN_VECTORS` names a directory laid out as
/// `CosignVectorTests` describes. Tests that need it say so and are skipped without it.
enum CosignVectors {
    static var directory: String? {
        guard let path = ProcessInfo.processInfo.environment["SAMFORGE_COSIGN_VECTORS"], !path.isEmpty,
              FileManager.default.fileExists(atPath: path + "/keys/passwords.json") else { return nil }
        return path
    }
    static let absent = "set SAMFORGE_COSIGN_VECTORS to a directory of cosign's own test vectors (see CosignVectorTests)"

    static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: (directory ?? "/nonexistent") + "/" + relative)))
    }
    static func text(_ relative: String) throws -> String {
        String(decoding: try bytes(relative), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension SecretBytes {
    static func text(_ string: String) -> SecretBytes {
        Array(string.utf8).withUnsafeBytes { SecretBytes(copying: $0) }
    }
}

/// An OCI layout holding one small image (`app:1`), and the artifacts tests add to it, written
/// file by file (no samforge writer involved).
struct TestLayout {
    let path: String
    let subject: Descriptor

    init() throws {
        path = try TemporaryDirectory().path
        try FileManager.default.createDirectory(atPath: path + "/blobs/sha256", withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: path + "/oci-layout"))
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        let manifest = try RawManifest.encoding(ImageManifest(mediaType: MediaType.ociManifest,
                                                              config: Descriptor(mediaType: MediaType.ociConfig, digest: Digest.of(config), size: Int64(config.count)),
                                                              layers: []), mediaType: MediaType.ociManifest)
        subject = manifest.descriptor()
        try Self.put(config, in: path)
        try Self.put(manifest.bytes, in: path)
        try writeIndex([["mediaType": MediaType.ociManifest, "digest": subject.digest.description, "size": subject.size,
                         "annotations": ["org.opencontainers.image.ref.name": "app:1"]]])
    }

    var location: String { "oci:\(path):app:1" }

    static func put(_ bytes: [UInt8], in path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/blobs/sha256/" + Digest.of(bytes).hex))
    }

    func entries() throws -> [[String: Any]] {
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/index.json"))) as? [String: Any]
        return index?["manifests"] as? [[String: Any]] ?? []
    }

    func writeIndex(_ entries: [[String: Any]]) throws {
        let data = try JSONSerialization.data(withJSONObject: ["schemaVersion": 2, "manifests": entries])
        try data.write(to: URL(fileURLWithPath: path + "/index.json"))
    }

    /// Blobs and manifest, then the index entry: a named one for a tag (replacing the old),
    /// an artifact entry for a referrer.
    func add(_ artifact: SignatureArtifact) throws {
        for blob in artifact.blobs.values { try Self.put(blob, in: path) }
        try Self.put(artifact.manifest.bytes, in: path)
        var entries = try entries()
        var entry: [String: Any] = ["mediaType": artifact.manifest.mediaType, "digest": artifact.manifest.digest.description,
                                    "size": artifact.manifest.bytes.count]
        switch artifact.placement {
        case .tag(let tag):
            entries.removeAll { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == tag }
            entry["annotations"] = ["org.opencontainers.image.ref.name": tag]
        case .referrer:
            entry["artifactType"] = artifact.descriptor.artifactType
            entry["annotations"] = artifact.descriptor.annotations
        }
        entries.append(entry)
        try writeIndex(entries)
    }

    /// The manifest a tag names now, if any.
    func manifest(tagged tag: String) throws -> RawManifest? {
        guard let entry = try entries().first(where: { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == tag }),
              let digest = entry["digest"] as? String else { return nil }
        return try RawManifest(bytes: Array(Data(contentsOf: URL(fileURLWithPath: path + "/blobs/sha256/" + (try Digest(digest)).hex))))
    }
}
