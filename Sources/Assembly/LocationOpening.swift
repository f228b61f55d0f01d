import Foundation
import OCI
import Registry
import Streams

/// A destination opened from a location, with what the location itself names the image and
/// how a computed tag is named there (a build chooses its tags; a copy takes DST's).
public struct ImageTarget: Sendable {
    public let location: ImageLocation
    public let destination: ImageDestination
    /// The names the location gives (copy's DST tag, layout ref name, archive RepoTag).
    public let names: [String]
    /// The digest a registry location pins (`REPO@sha256:…`).
    public let pinned: Digest?

    /// The name tag `tag` gets at this destination: the tag itself in a registry; in a
    /// layout `REF:TAG` when the location names a repository REF, else `TAG`; in an archive
    /// `REF:TAG` (as `docker images` shows it), `defaultRepository:TAG` without REF, or nil.
    public func name(forTag tag: String, defaultRepository: String? = nil) -> String? {
        switch location {
        case .registry, .scratch: return tag
        case .ociLayout(_, let reference): return reference.map { "\($0):\(tag)" } ?? tag
        case .dockerArchive(_, let reference):
            let repository = reference.map(DockerArchiveFormat.familiarName) ?? defaultRepository
            return repository.map { "\($0):\(tag)" }
        }
    }

    /// The image as users name it: `HOST/REPO:TAG` (what docker, kubectl, crane and skopeo
    /// accept), `oci:DIR:NAME`, `docker-archive:FILE:NAME`.
    public func reference(name: String?) -> String {
        let suffix = name.map { ":" + $0 } ?? ""
        switch location {
        case .registry(let reference): return reference.repositoryName + suffix
        case .ociLayout(let directory, _): return "oci:\(directory)" + suffix
        case .dockerArchive(let file, _): return "docker-archive:\(file)" + suffix
        case .scratch: return "scratch"
        }
    }

    /// The result pinned to its digest, as commands print it last: `reference(name:)@sha256:…`.
    public func pinnedReference(name: String?, digest: Digest) -> String {
        reference(name: name) + "@\(digest)"
    }
}

public extension ImageLocation {
    /// Opens the location to read. A local path that is not there, or is not what its prefix
    /// says, is the user's input to fix (exit 2), found here before any transfer; what is wrong
    /// inside an existing layout or archive is found by the source (exit 1). `scratch` is an
    /// empty image for `platform`.
    func openSource(client: RegistryClient, platform: Platform = .linuxAMD64) throws -> ImageSource {
        switch self {
        case .registry(let reference):
            return RegistrySource(client: client, reference: reference)
        case .ociLayout(let directory, let name):
            guard isDirectory(directory) else {
                throw AssemblyError.usage("\(self): " + (FileManager.default.fileExists(atPath: directory) ? "not a directory" : "no such directory"))
            }
            guard FileManager.default.fileExists(atPath: directory + "/" + OCILayout.markerFile) else {
                throw AssemblyError.usage("\(self): not an OCI image layout (no oci-layout file in \(directory))")
            }
            return OCILayoutSource(directory: directory, name: name)
        case .dockerArchive(let file, let reference):
            guard FileManager.default.fileExists(atPath: file) else { throw AssemblyError.usage("\(self): no such file") }
            guard !isDirectory(file) else { throw AssemblyError.usage("\(self): is a directory, not a docker archive file") }
            return DockerArchiveSource(file: file, reference: reference)
        case .scratch:
            return try ScratchImage(platform: platform)
        }
    }

    /// Opens the location to write; paths are checked now, before any transfer.
    /// - Parameter sourceReference: names a docker archive written without a REF (as `docker
    ///   save` tags what it saves), when the source is a tagged registry image.
    func openTarget(client: RegistryClient, sourceReference: Reference? = nil) throws -> ImageTarget {
        switch self {
        case .registry(let reference):
            return ImageTarget(location: self, destination: RegistryDestination(client: client, repository: reference),
                               names: reference.tag.map { [$0] } ?? [], pinned: reference.digest)
        case .ociLayout(let directory, let name):
            if FileManager.default.fileExists(atPath: directory), !isDirectory(directory) {
                throw AssemblyError.usage("\(self): exists and is not a directory")
            }
            let destination: OCILayoutDestination
            do { destination = try OCILayoutDestination(directory: directory) } catch let error as AssemblyError {
                throw AssemblyError.usage(error.description)
            }
            return ImageTarget(location: self, destination: destination, names: name.map { [$0] } ?? [], pinned: nil)
        case .dockerArchive(let file, let reference):
            // Written to a temporary file next to FILE and renamed over it at the end.
            do { try OutputPath.checkWritable(file, what: "docker-archive:", write: .replace, label: "docker-archive:\(file)") } catch {
                throw AssemblyError.usage(error.description)
            }
            // As `docker save` names what it saves: REF, else the source's tagged reference, else
            // a name from the file (`app.tar` → `app:latest`), so `docker load` never shows <none>.
            let named = reference ?? sourceReference.flatMap { source in source.tag.map { source.withTag($0) } }
            let repoTag = named.flatMap(DockerArchiveFormat.repoTag) ?? DockerArchiveFormat.defaultRepoTag(forFile: file)
            return ImageTarget(location: self, destination: DockerArchiveDestination(file: file), names: [repoTag], pinned: nil)
        case .scratch:
            throw AssemblyError.usage("scratch is the empty image: it can be read (as a base), not written")
        }
    }
}

private func isDirectory(_ path: String) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
}
