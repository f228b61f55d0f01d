import Assembly
import Attestations
import OCI

/// A base with a plan applied: the image to write (any destination takes it), and per
/// platform what it was built from and what it added. It keeps what the run resolved, so
/// attesters and the lock file read it instead of resolving and hashing inputs again.
public struct Mutation: Sendable {
    public struct Platform: Sendable {
        public let base: ResolvedImage
        public let image: ComposedImage
        /// The base first, then every image and file the plan read, each once, as resolved.
        public let inputs: [ResolvedInput]
        public var platform: OCI.Platform { base.config.platform ?? .linuxAMD64 }
        /// The image config's `created`.
        public var created: String { (try? ImageConfig.decode(image.configBytes))?.created ?? "1970-01-01T00:00:00Z" }
    }
    public let image: MutatedImage
    public let platforms: [Platform]
    /// Platforms of the base's index that the choice left out (they are not in the result).
    public let dropped: [OCI.Platform]
}

/// An input of a mutation as the run resolved it: an image at a digest, or a file's bytes by
/// their SHA-256.
public struct ResolvedInput: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// `location` as given (the lock's key); `root`: what it named (an index or the
        /// manifest); `manifest`: the platform's manifest.
        case image(location: String, reference: Reference?, root: Digest, platform: OCI.Platform, manifest: Digest)
        case file(FileInput, sha256: Digest)
    }
    public let kind: BuildRecord.Input.Kind
    /// "base image", "plugin image", "go-template", "--file"…
    public let role: String
    public let source: Source

    /// An image input read from `location`.
    static func image(_ location: ImageLocation, kind: BuildRecord.Input.Kind, role: String, resolved: ResolvedImage,
                      platform: OCI.Platform) -> ResolvedInput {
        ResolvedInput(kind: kind, role: role, source: .image(location: location.description, reference: location.registryReference,
                                                             root: resolved.root.digest, platform: platform, manifest: resolved.manifest.digest))
    }

    /// The input as the SBOM and provenance record it.
    public var record: BuildRecord.Input {
        switch source {
        case .image(let location, let reference, _, _, let manifest):
            return BuildRecord.Input(kind: kind, role: role, location: location, repository: reference?.repositoryName,
                                     tag: reference?.tag, digest: manifest)
        case .file(let input, let sha256):
            return BuildRecord.Input(kind: kind, role: role, location: input.description, digest: sha256)
        }
    }
}
