import OCI
import Registry
import Streams

/// An image in a registry repository, read through the shared client.
public struct RegistrySource: ImageSource {
    public let client: RegistryClient
    public let reference: Reference

    public init(client: RegistryClient, reference: Reference) {
        self.client = client
        self.reference = reference
    }

    var repository: Registry.Repository { Registry.Repository(reference) }
    public var description: String { reference.description }

    public func rootManifest() async throws -> RawManifest {
        try await naming { try await client.fetchManifest(reference) }
    }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        try await naming { try await client.fetchManifest(reference.withDigest(digest)) }
    }

    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        try await naming { try await client.fetchBlob(descriptor.digest, from: repository, expectedSize: descriptor.size, into: sink) }
    }

    /// A failure that names only the registry host gets the reference in front of it.
    private func naming<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as RegistryError where error.namesOnlyTheHost {
            throw StepError(reference.description, error)
        }
    }

    /// Every blob of the image is in its repository.
    public func mountOrigin(of descriptor: Descriptor) -> MountOrigin? {
        MountOrigin(host: reference.host, repository: reference.repository)
    }
}

/// A registry repository as a destination: blobs and manifests by digest, artifacts linked
/// through the Referrers API or the tag schema, then the root under each tag (tags last, so a
/// tag never names a half-pushed image). Nothing to commit: each step is visible at once, so
/// the order is the promise.
public struct RegistryDestination: ImageDestination {
    public let client: RegistryClient
    /// The repository (any tag or digest on it is ignored: names come with the root manifest).
    public let repository: Reference

    public init(client: RegistryClient, repository: Reference) {
        self.client = client
        self.repository = Reference(registry: repository.registry, repository: repository.repository)
    }

    var target: Registry.Repository { Registry.Repository(repository) }
    public var description: String { repository.repositoryName }
    public var identity: String { "registry:" + target.description }
    public var mountTarget: MountOrigin? { MountOrigin(host: repository.host, repository: repository.repository) }
    public var maxConcurrentBlobWrites: Int { .max }

    /// Present means present with the size the manifest will claim: a HEAD that answers is
    /// the verification the manifest push relies on (mounts and uploads verify by their 201).
    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        guard let size = try await client.blobSize(descriptor.digest, in: target) else { return false }
        if size >= 0, size != descriptor.size {
            throw AssemblyError.invalidImage("\(target): blob \(descriptor.digest) has \(size) bytes, the manifest says \(descriptor.size)")
        }
        return true
    }

    public func putBlob(_ descriptor: Descriptor, from source: ByteSource, verifiedBeforeEnd: Bool) async throws {
        try await client.uploadBlob(descriptor.digest, size: descriptor.size, to: target, from: source, hashing: !verifiedBeforeEnd)
    }

    public func mountBlob(_ descriptor: Descriptor, from origin: MountOrigin) async throws -> Bool {
        try await client.mountBlob(descriptor.digest, from: Registry.Repository(host: origin.host, name: origin.repository), into: target)
    }

    public func discardMountLeftovers(_ descriptor: Descriptor) async {
        await client.discardSpareSession(for: descriptor.digest, in: target)
    }

    public func hasManifest(_ digest: Digest) async throws -> Bool {
        try await client.manifestDescriptor(repository.withDigest(digest)) != nil
    }

    public func putManifest(_ manifest: RawManifest) async throws {
        try await client.putManifest(manifest, to: repository.withDigest(manifest.digest))
    }

    public func name(_ root: RawManifest, as names: [String]) async throws {
        guard !names.isEmpty else { return }
        try await client.putManifest(root, tags: names, in: target)
    }
}
