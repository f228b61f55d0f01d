import Foundation
import OCI

/// The OCI image layout on disk (image-spec image-layout.md): an `oci-layout` marker file,
/// `index.json` naming the images (a tag is the `org.opencontainers.image.ref.name`
/// annotation), and content-addressed `blobs/sha256/<hex>`.
enum OCILayout {
    static let markerFile = "oci-layout"
    static let indexFile = "index.json"
    static let version = "1.0.0"
    static let refNameAnnotation = "org.opencontainers.image.ref.name"
    /// index.json is read whole; real ones hold a handful of entries.
    static let indexLimit = 16 << 20

    static let blobDirectoryName = "blobs/sha256"
    static func blobDirectory(_ directory: String) -> String { directory + "/" + blobDirectoryName }
    static func blobPath(_ directory: String, _ digest: Digest) -> String { blobDirectory(directory) + "/" + digest.hex }

    static func location(_ directory: String, _ name: String?) -> String { "oci:\(directory)" + (name.map { ":" + $0 } ?? "") }

    /// Checks the `oci-layout` marker: present, JSON, version 1.x.
    static func checkMarker(_ directory: String, location: String) throws {
        let path = directory + "/" + markerFile
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AssemblyError.invalidImage("\(location): not an OCI image layout (no \(markerFile) file)")
        }
        struct Marker: Decodable { var imageLayoutVersion: String }
        guard let marker = try? UntrustedJSON.decode(Marker.self, from: data) else {
            throw AssemblyError.invalidImage("\(location): corrupt \(markerFile) file (expected {\"imageLayoutVersion\":\"\(version)\"})")
        }
        guard marker.imageLayoutVersion.hasPrefix("1.") else {
            throw AssemblyError.unsupported("\(location): unsupported image layout version \(marker.imageLayoutVersion)")
        }
    }

    /// index.json as a JSON tree (so a rewrite keeps entries and fields we do not model);
    /// nil when the file does not exist.
    static func readIndexDocument(_ directory: String, location: String) throws -> JSONValue? {
        let path = directory + "/" + indexFile
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let size = LocalBlob.fileSize(path), size <= Int64(indexLimit), let data = FileManager.default.contents(atPath: path) else {
            throw AssemblyError.invalidImage("\(location): \(indexFile) is not a readable file of at most \(indexLimit) bytes")
        }
        guard let document = try? UntrustedJSON.decode(JSONValue.self, from: data), document.objectValue != nil,
              document["manifests"]?.arrayValue != nil || document["manifests"] == nil else {
            throw AssemblyError.invalidImage("\(location): corrupt \(indexFile) (not a JSON image index)")
        }
        return document
    }

    /// The descriptors index.json lists, validated (digests, sizes, media types).
    static func readIndex(_ directory: String, location: String) throws -> [Descriptor] {
        guard let document = try readIndexDocument(directory, location: location) else {
            throw AssemblyError.invalidImage("\(location): not an OCI image layout (no \(indexFile))")
        }
        let entries = document["manifests"]?.arrayValue ?? []
        return try entries.map { entry in
            guard let descriptor = try? decode(Descriptor.self, from: entry) else {
                throw AssemblyError.invalidImage("\(location): corrupt \(indexFile) (an entry is not a valid descriptor)")
            }
            return descriptor
        }
    }

    static func refName(_ descriptor: Descriptor) -> String? { descriptor.annotations?[refNameAnnotation] }

    /// What cosign tags beside an image: `sha256-<hex>.sig`, `.att`, `.sbom`.
    static let cosignSuffixes = ["sig", "att", "sbom"]

    static func isCosignTag(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard parts.count == 2, cosignSuffixes.contains(String(parts[1])), parts[0].hasPrefix("sha256-") else { return false }
        return (try? Digest("sha256:" + parts[0].dropFirst("sha256-".count))) != nil
    }

    /// The entry a name picks: an exact `ref.name`, else (for a short tag) a full reference
    /// ending in `:TAG` (skopeo, podman, containerd and buildkit write `example.test/app:1.0`).
    /// Two candidates are an error naming them, as umoci's "tag is ambiguous": picking one
    /// silently could copy the wrong image. Without a name, the layout must hold exactly one.
    static func select(_ all: [Descriptor], name: String?, location: String) throws -> Descriptor {
        // Artifacts (SBOMs, provenance: entries with an artifactType; cosign's tagged
        // signatures) are no candidates.
        let descriptors = all.filter { $0.artifactType == nil && !(refName($0).map(isCosignTag) ?? false) }
        let names = descriptors.compactMap(refName)
        let available = names.isEmpty ? "none" : names.map { escapedForMessage($0) }.joined(separator: ", ")
        guard let name else {
            if descriptors.count == 1 { return descriptors[0] }
            if descriptors.isEmpty { throw AssemblyError.notFound("\(location): index.json lists no images") }
            throw AssemblyError.notFound("\(location): the layout holds \(descriptors.count) images; name one as \(location):TAG (available: \(available))")
        }
        var candidates = all.filter { refName($0) == name }  // an exact name picks whatever it names
        if candidates.isEmpty, Reference.isValidTag(name) {
            candidates = descriptors.filter { entry in refName(entry).map { $0.contains("/") && $0.hasSuffix(":" + name) } ?? false }
        }
        switch candidates.count {
        case 1: return candidates[0]
        case 0: throw AssemblyError.notFound("\(location): no image tagged \"\(escapedForMessage(name))\" (available: \(available))")
        default:
            let listed = candidates.map { "\(refName($0).map { escapedForMessage($0) } ?? "?") (\($0.digest.short))" }.joined(separator: ", ")
            throw AssemblyError.notFound("\(location): \"\(escapedForMessage(name))\" is ambiguous: it names \(listed); name one by its full reference")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try JSONDecoder().decode(type, from: Data(try CanonicalJSON.encode(value)))
    }

    static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(try CanonicalJSON.encode(value)))
    }
}
