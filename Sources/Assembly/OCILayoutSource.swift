import Foundation
import OCI
import Streams

/// An image in an OCI layout directory (`oci:DIR[:REF]`). index.json is read on each
/// `rootManifest()` (it is small) so the source holds no state; every blob read is verified.
public struct OCILayoutSource: ImageSource {
    public let directory: String
    /// A tag or a full reference, matched against `org.opencontainers.image.ref.name`.
    public let name: String?

    public init(directory: String, name: String?) {
        self.directory = directory
        self.name = name
    }

    public var description: String { OCILayout.location(directory, name) }

    public func rootManifest() async throws -> RawManifest {
        let (directory, location, name) = (self.directory, description, self.name)
        return try await BlockingWork.run {
            try Self.checkDirectory(directory, location: location)
            try OCILayout.checkMarker(directory, location: location)
            let chosen = try OCILayout.select(try OCILayout.readIndex(directory, location: location), name: name, location: location)
            return try Self.readManifest(chosen, directory: directory, location: location)
        }
    }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        let (directory, location) = (self.directory, description)
        return try await BlockingWork.run {
            // The size is unknown here (only the index that names the child has it): bounded by the cap.
            let path = OCILayout.blobPath(directory, digest)
            guard let size = LocalBlob.fileSize(path) else {
                throw AssemblyError.notFound("\(location): manifest \(digest) is missing (no blobs/sha256/\(digest.hex))")
            }
            return try Self.readManifest(Descriptor(mediaType: "", digest: digest, size: size), directory: directory, location: location)
        }
    }

    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        let (directory, location) = (self.directory, description)
        try await BlockingWork.run {
            let path = OCILayout.blobPath(directory, descriptor.digest)
            guard LocalBlob.fileSize(path) != nil else {
                throw AssemblyError.notFound("\(location): blob \(descriptor.digest) is missing (no blobs/sha256/\(descriptor.digest.hex))")
            }
            try LocalBlob.stream(path: path, expected: descriptor, into: sink, what: "\(location): blob \(descriptor.digest.short)")
        }
    }

    /// A layout's blob is a file: read it directly (rewindable, so an upload can resume).
    public func localBlob(_ descriptor: Descriptor) throws -> RewindableSource? {
        let path = OCILayout.blobPath(directory, descriptor.digest)
        guard LocalBlob.fileSize(path) == descriptor.size else { return nil }
        return try FileSource(path: path)
    }

    static func checkDirectory(_ directory: String, location: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw AssemblyError.notFound("\(location): no such directory")
        }
        guard isDirectory.boolValue else { throw AssemblyError.invalidImage("\(location): not a directory") }
    }

    /// Reads a manifest blob as exact bytes, verified against the descriptor naming it.
    static func readManifest(_ descriptor: Descriptor, directory: String, location: String) throws -> RawManifest {
        let path = OCILayout.blobPath(directory, descriptor.digest)
        guard LocalBlob.fileSize(path) != nil else {
            throw AssemblyError.notFound("\(location): manifest \(descriptor.digest) is missing (no blobs/sha256/\(descriptor.digest.hex))")
        }
        let bytes = try LocalBlob.read(path: path, expected: descriptor, limit: RawManifest.maximumSize,
                                       what: "\(location): manifest \(descriptor.digest.short)")
        do {
            return try RawManifest(bytes: bytes, declaredType: descriptor.mediaType.isEmpty ? nil : descriptor.mediaType)
        } catch {
            throw AssemblyError.invalidImage("\(location): manifest \(descriptor.digest.short): \(error.description)")
        }
    }
}
