import OCI

/// What a build knows about the image it made, as plain values: the subject, every input with
/// the digest it resolved to, and every file the new layers add. The SBOM and the provenance
/// statement are both functions of this record, so the same inputs give the same documents.
public struct BuildRecord: Sendable, Equatable {
    /// The image manifest the documents describe.
    public struct Subject: Sendable, Equatable {
        /// `registry.example.com/team/aws-sam-plugin` (or a layout's or archive's name).
        public var name: String
        public var tag: String?
        public var manifest: Descriptor
        public init(name: String, tag: String?, manifest: Descriptor) {
            self.name = name
            self.tag = tag
            self.manifest = manifest
        }
    }

    /// An input: an image (by manifest digest) or a file or download (by SHA-256).
    public struct Input: Sendable, Equatable {
        public enum Kind: String, Sendable { case baseImage = "base image", image, download, file }
        public var kind: Kind
        /// "plugin image", "docker CLI image", "go-template", "--file"…
        public var role: String
        /// As given: a reference, a layout, a URL (redacted), a path.
        public var location: String
        /// For images: the repository (`registry/name`), for the purl's repository_url.
        public var repository: String?
        public var tag: String?
        public var digest: Digest
        public init(kind: Kind, role: String, location: String, repository: String? = nil, tag: String? = nil, digest: Digest) {
            self.kind = kind
            self.role = role
            self.location = location
            self.repository = repository
            self.tag = tag
            self.digest = digest
        }
    }

    /// A regular file of the new layers: the path in the image, its hashes and size.
    public struct File: Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var sha1: String
        public var size: Int64
        public init(path: String, sha256: String, sha1: String, size: Int64) {
            self.path = path
            self.sha256 = sha256
            self.sha1 = sha1
            self.size = size
        }
    }

    public var subject: Subject
    public var platform: Platform
    public var inputs: [Input]
    public var files: [File]
    /// RFC 3339: the image config's `created` (so the documents are as reproducible as the image).
    public var created: String
    /// `sam-plugin` or `append`: what recipe built it.
    public var recipe: String
    /// The command's inputs (never credentials), for the provenance's external parameters.
    public var parameters: [String: String]

    public init(subject: Subject, platform: Platform, inputs: [Input], files: [File], created: String, recipe: String, parameters: [String: String]) {
        self.subject = subject
        self.platform = platform
        self.inputs = inputs
        self.files = files
        self.created = created
        self.recipe = recipe
        self.parameters = parameters
    }

    public var base: Input? { inputs.first { $0.kind == .baseImage } }
}

/// Who made the documents.
public enum Builder {
    public static let version = "0.1.0"
    public static let id = "https://github.com/samforge/samforge"
    /// `https://github.com/samforge/samforge/buildtypes/RECIPE/v1`.
    public static func buildType(_ recipe: String) -> String { "\(id)/buildtypes/\(recipe)/v1" }
}
