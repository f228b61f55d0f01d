import Assembly
import Foundation
import OCI
import Registry

/// Opens any `ImageLocation` as a source or a destination. A local path that is not there, or is
/// not what its prefix says, is the user's input to fix (exit 2) and is checked here, before any
/// transfer; what is wrong inside an existing layout or archive is found by the source (exit 1).
func openSource(_ location: ImageLocation, client: RegistryClient) throws -> ImageSource {
    switch location {
    case .registry(let reference):
        return RegistrySource(client: client, reference: reference)
    case .ociLayout(let directory, let tag):
        guard isDirectory(directory) else {
            throw UsageError("\(location): " + (FileManager.default.fileExists(atPath: directory) ? "not a directory" : "no such directory"))
        }
        guard FileManager.default.fileExists(atPath: directory + "/oci-layout") else {
            throw UsageError("\(location): not an OCI image layout (no oci-layout file in \(directory))")
        }
        return OCILayoutSource(directory: directory, tag: tag)
    case .dockerArchive(let file, let reference):
        guard FileManager.default.fileExists(atPath: file) else { throw UsageError("\(location): no such file") }
        guard !isDirectory(file) else { throw UsageError("\(location): is a directory, not a docker archive file") }
        return DockerArchiveSource(file: file, reference: reference)
    }
}

/// - Parameter sourceReference: names a docker archive written without a REF (as `docker save`
///   tags what it saves), when the source is a tagged registry image.
func openDestination(_ location: ImageLocation, client: RegistryClient, sourceReference: Reference? = nil) throws -> ImageDestination {
    switch location {
    case .registry(let reference):
        return RegistryDestination(client: client, reference: reference)
    case .ociLayout(let directory, let tag):
        if FileManager.default.fileExists(atPath: directory), !isDirectory(directory) {
            throw UsageError("\(location): exists and is not a directory")
        }
        do { return try OCILayoutDestination(directory: directory, tag: tag) } catch let error as AssemblyError {
            throw UsageError(error.description)
        }
    case .dockerArchive(let file, let reference):
        let parent = URL(fileURLWithPath: file).deletingLastPathComponent().path
        guard isDirectory(parent) else { throw UsageError("\(location): no such directory \(parent)") }
        guard !isDirectory(file) else { throw UsageError("\(location): is a directory") }
        let tag = reference ?? sourceReference.flatMap { source in source.tag.map { source.withTag($0) } }
        return DockerArchiveDestination(file: file, reference: tag)
    }
}

private func isDirectory(_ path: String) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
}

extension ImageLocation {
    /// The registry host a destination pushes to (for DOCKER_USERNAME/DOCKER_PASSWORD).
    var registryHost: String? {
        if case .registry(let reference) = self { return reference.host }
        return nil
    }

    var isRegistry: Bool { registryHost != nil }
}
