import OCI
import Registry
import Streams

/// What a registry source and a registry destination share: a client and a reference.
public protocol RegistryLocation: Sendable {
    var client: RegistryClient { get }
    var reference: Reference { get }
}

extension RegistryLocation {
    var registryRepository: Registry.Repository { Registry.Repository(reference) }
    public var repository: RegistryRepositoryInfo? { RegistryRepositoryInfo(host: reference.host, name: reference.repository) }
    public var description: String { reference.description }
}

/// An image in a registry repository, read through the shared client.
public struct RegistrySource: ImageSource, RegistryLocation {
    public let client: RegistryClient
    public let reference: Reference

    public init(client: RegistryClient, reference: Reference) {
        self.client = client
        self.reference = reference
    }

    public func rootManifest() async throws -> RawManifest { try await client.fetchManifest(reference) }

    public func manifest(_ digest: Digest) async throws -> RawManifest {
        try await client.fetchManifest(reference.withDigest(digest))
    }

    public func fetchBlob(_ descriptor: Descriptor, into sink: ByteSink) async throws {
        try await client.fetchBlob(descriptor.digest, from: registryRepository, expectedSize: descriptor.size, into: sink)
    }
}

/// A registry repository as a destination; the tag (if any) is written last.
public struct RegistryDestination: ImageDestination, RegistryLocation {
    public let client: RegistryClient
    public let reference: Reference

    public init(client: RegistryClient, reference: Reference) {
        self.client = client
        self.reference = reference
    }
    public var maxConcurrentBlobWrites: Int { .max }

    /// Present means present with the size the manifest will claim: a HEAD that answers is
    /// the verification the manifest push relies on (mounts and uploads verify by their 201).
    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        guard let size = try await client.blobSize(descriptor.digest, in: registryRepository) else { return false }
        if size >= 0, size != descriptor.size {
            throw AssemblyError.invalidImage("\(registryRepository): blob \(descriptor.digest) has \(size) bytes, the manifest says \(descriptor.size)")
        }
        return true
    }

    public func putBlob(_ descriptor: Descriptor, from source: ByteSource) async throws {
        try await client.uploadBlob(descriptor.digest, size: descriptor.size, to: registryRepository, from: source,
                                    hashing: !(source is VerifiedBeforeEndSource))
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
