import Foundation
import OCI
import Streams

/// Writes an image into an OCI layout directory (`oci:DIR[:REF]`), created if missing.
/// Blobs land under their digest through a verified temporary file; index.json changes only
/// in `commit()`, so an interrupted copy never leaves the tag naming a half-written image.
/// Manifests keep their exact bytes and media types (a Docker manifest list stays one).
public final class OCILayoutDestination: ImageDestination, @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()
    private var root: (manifest: RawManifest, names: [String])?
    /// The outermost directory this destination creates (nil when the layout existed): a failed
    /// copy removes it rather than leave an empty layout behind.
    private let createdDirectory: String?

    /// Creates the directory, `blobs/sha256` and the `oci-layout` marker as needed. A directory
    /// that holds other files but no marker is refused rather than filled with blobs.
    public init(directory: String) throws {
        self.directory = directory
        let location = OCILayout.location(directory, nil)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        createdDirectory = Self.outermostMissing(directory)
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw AssemblyError.invalidImage("\(location): exists and is not a directory") }
            let markerPath = directory + "/" + OCILayout.markerFile
            if manager.fileExists(atPath: markerPath) {
                try OCILayout.checkMarker(directory, location: location)
                _ = try OCILayout.readIndexDocument(directory, location: location)  // refuse to overwrite a corrupt index
            } else if let contents = try? manager.contentsOfDirectory(atPath: directory), !contents.isEmpty {
                throw AssemblyError.invalidImage("\(location): directory is not empty and is not an OCI image layout (no \(OCILayout.markerFile) file)")
            }
        }
        do {
            try manager.createDirectory(atPath: OCILayout.blobDirectory(directory), withIntermediateDirectories: true)
        } catch {
            throw AssemblyError.usage("\(location): cannot create directory: \(describeSystemError(error))")
        }
        let markerPath = directory + "/" + OCILayout.markerFile
        if !manager.fileExists(atPath: markerPath) {
            try LocalBlob.writeSmallFile(Array("{\"imageLayoutVersion\":\"\(OCILayout.version)\"}".utf8), to: markerPath)
        }
    }

    public var description: String { OCILayout.location(directory, nil) }
    public var identity: String { "oci:" + URL(fileURLWithPath: directory).standardizedFileURL.path }
    public var maxConcurrentBlobWrites: Int { .max }

    /// Present with the right size: blobs are only ever renamed into place after verification.
    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        LocalBlob.fileSize(OCILayout.blobPath(directory, descriptor.digest)) == descriptor.size
    }

    public func putBlob(_ descriptor: Descriptor, from source: ByteSource, verifiedBeforeEnd: Bool) async throws {
        let (directory, what) = (self.directory, "\(description): blob \(descriptor.digest.short)")
        try await BlockingWork.run {
            try LocalBlob.write(source, to: OCILayout.blobPath(directory, descriptor.digest), temporaryDirectory: directory,
                                expected: descriptor, what: what)
        }
    }

    public func hasManifest(_ digest: Digest) async throws -> Bool {
        LocalBlob.fileSize(OCILayout.blobPath(directory, digest)) != nil
    }

    public func putManifest(_ manifest: RawManifest) async throws {
        let (directory, what) = (self.directory, "\(description): manifest \(manifest.digest.short)")
        try await BlockingWork.run {
            try LocalBlob.write(MemorySource(manifest.bytes), to: OCILayout.blobPath(directory, manifest.digest),
                                temporaryDirectory: directory, expected: manifest.descriptor(), what: what)
        }
    }

    public func putRootManifest(_ manifest: RawManifest, names: [String]) async throws {
        try await putManifest(manifest)
        lock.withLock { root = (manifest, names) }
    }

    /// Blobs already written to an existing layout stay (they are valid, content-addressed);
    /// a layout this copy created is removed.
    public func abort() async {
        if let createdDirectory { try? FileManager.default.removeItem(atPath: createdDirectory) }
    }

    /// `a/b/c` with only `a` existing → `a/b`.
    static func outermostMissing(_ directory: String) -> String? {
        var missing: String?
        var url = URL(fileURLWithPath: directory).standardizedFileURL
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.path) {
            missing = url.path
            url = url.deletingLastPathComponent()
        }
        return missing
    }

    /// Points index.json at the root, once per name (`org.opencontainers.image.ref.name`): an
    /// entry with the same name is replaced; without names the entry is added unnamed (once per
    /// digest). Other entries are kept as they are.
    public func commit() async throws {
        guard let (root, names) = lock.withLock({ self.root }) else { return }
        let (directory, location) = (self.directory, description)
        try await BlockingWork.run {
            var document = try OCILayout.readIndexDocument(directory, location: location)
                ?? .object(["schemaVersion": .int(2), "mediaType": .string(MediaType.ociIndex)])
            var entries = document["manifests"]?.arrayValue ?? []
            if names.isEmpty {
                entries.removeAll { $0["digest"]?.stringValue == root.digest.description && $0["annotations"]?[OCILayout.refNameAnnotation] == nil }
                entries.append(try OCILayout.encode(root.descriptor()))
            }
            if !names.isEmpty {
                // Named now: an unnamed entry an earlier write left for it (before its referrers) goes.
                entries.removeAll { $0["digest"]?.stringValue == root.digest.description && $0["annotations"]?[OCILayout.refNameAnnotation] == nil
                    && $0["artifactType"] == nil }
            }
            for name in names {
                entries.removeAll { $0["annotations"]?[OCILayout.refNameAnnotation]?.stringValue == name }
                let descriptor = Descriptor(mediaType: root.mediaType, digest: root.digest, size: Int64(root.bytes.count),
                                            annotations: [OCILayout.refNameAnnotation: name])
                entries.append(try OCILayout.encode(descriptor))
            }
            document["manifests"] = .array(entries)
            try LocalBlob.writeSmallFile(try CanonicalJSON.encode(document), to: directory + "/" + OCILayout.indexFile)
        }
    }
}
