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

    var registryRepository: Registry.Repository { Registry.Repository(reference) }
    public var repository: RegistryRepositoryInfo? { RegistryRepositoryInfo(host: reference.host, name: reference.repository) }
    public var description: String { reference.description }

    public func rootManifest() async throws -> RawManifest { try await client.fetchManifest(reference) }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        try await client.fetchManifest(reference.withDigest(digest))
    }

    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        try await client.fetchBlob(descriptor.digest, from: registryRepository, expectedSize: descriptor.size, into: sink)
    }
}

/// A registry repository as a destination; the tag (if any) is written last.
public struct RegistryDestination: ImageDestination {
    public let client: RegistryClient
    public let reference: Reference

    public init(client: RegistryClient, reference: Reference) {
        self.client = client
        self.reference = reference
    }

    var registryRepository: Registry.Repository { Registry.Repository(reference) }
    public var repository: RegistryRepositoryInfo? { RegistryRepositoryInfo(host: reference.host, name: reference.repository) }
    public var description: String { reference.description }
    public var maxConcurrentBlobWrites: Int { .max }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        try await client.blobSize(descriptor.digest, in: registryRepository) != nil
    }

    public func putBlob(_ descriptor: Descriptor, from source: ByteSource) async throws {
        try await client.uploadBlob(descriptor.digest, size: descriptor.size, to: registryRepository, from: source)
    }

    /// Links a blob from another repository of the same registry (no bytes move).
    public func mountBlob(_ descriptor: Descriptor, from source: RegistryRepositoryInfo) async throws -> Bool {
        try await client.mountBlob(descriptor.digest, from: Registry.Repository(host: source.host, name: source.name), into: registryRepository)
    }

    public func hasManifest(_ digest: Digest) async throws -> Bool {
        try await client.manifestDescriptor(reference.withDigest(digest)) != nil
    }

    public func putManifest(_ manifest: RawManifest) async throws {
        try await client.putManifest(manifest, to: Reference(registry: reference.registry, repository: reference.repository, digest: manifest.digest))
    }

    public func putRootManifest(_ manifest: RawManifest) async throws {
        if let tag = reference.tag {
            try await client.putManifest(manifest, to: reference.withTag(tag))
        } else {
            if let pinned = reference.digest, pinned != manifest.digest {
                throw AssemblyError.invalidImage("\(reference): destination pins \(pinned) but the image is \(manifest.digest)")
            }
            try await putManifest(manifest)
        }
    }

    public func commit() async throws {}
}
