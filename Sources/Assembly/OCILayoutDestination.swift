import Foundation
import OCI
import Streams

/// Writes an image into an OCI layout directory (`oci:DIR[:REF]`). Blobs land under their
/// digest through a verified temporary file; the directory and its `oci-layout` marker are
/// created with the first blob, not before (a command that fails earlier leaves nothing).
/// Attachments and names are kept in memory and reach index.json only in `commit()`, so an
/// interrupted write never names anything, and `abort()` removes a layout this run created.
/// Manifests keep their exact bytes and media types (a Docker manifest list stays one).
public final class OCILayoutDestination: ImageDestination, @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()
    private var changes = LayoutIndexChanges()
    private var opened = false
    private let claims: LayoutClaims.Claim

    /// Checks the path now, before any transfer: an existing directory must be a layout (or
    /// empty), a missing one must be creatable. Nothing is created yet.
    public init(directory: String) throws {
        self.directory = directory
        let location = OCILayout.location(directory, nil)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw AssemblyError.invalidImage("\(location): exists and is not a directory") }
            if FileManager.default.fileExists(atPath: directory + "/" + OCILayout.markerFile) {
                try OCILayout.checkMarker(directory, location: location)
                _ = try OCILayout.readIndexDocument(directory, location: location)  // refuse to overwrite a corrupt index
            } else if let contents = try? FileManager.default.contentsOfDirectory(atPath: directory), !contents.isEmpty {
                throw AssemblyError.invalidImage("\(location): directory is not empty and is not an OCI image layout (no \(OCILayout.markerFile) file)")
            }
            // A file is created and removed: root passes access(2) on a read-only mount or /proc.
            if let problem = OutputPath.creationProblem(in: directory) { throw AssemblyError.invalidImage("\(location): \(problem)") }
        } else {
            try Self.checkCreatable(directory, location: location)
        }
        claims = LayoutClaims.shared.claim(Self.canonical(directory))
    }

    public var description: String { OCILayout.location(directory, nil) }
    public var identity: String { "oci:" + Self.canonical(directory) }
    public var maxConcurrentBlobWrites: Int { .max }
    public var referrersSupport: ReferrersSupport { .layoutIndex }

    static func canonical(_ directory: String) -> String { URL(fileURLWithPath: directory).standardizedFileURL.path }

    // MARK: content

    /// Present with the right size: blobs are only ever renamed into place after verification.
    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        LocalBlob.fileSize(OCILayout.blobPath(directory, descriptor.digest)) == descriptor.size
    }

    public func putBlob(_ descriptor: Descriptor, from source: ByteSource, verifiedBeforeEnd: Bool) async throws {
        try open()
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
        try open()
        let (directory, what) = (self.directory, "\(description): manifest \(manifest.digest.short)")
        try await BlockingWork.run {
            try LocalBlob.write(MemorySource(manifest.bytes), to: OCILayout.blobPath(directory, manifest.digest),
                                temporaryDirectory: directory, expected: manifest.descriptor(), what: what)
        }
    }

    // MARK: attach, name (kept until commit)

    /// The artifacts become entries of index.json with their `artifactType`, so a reader tells
    /// them from images (and lists them for their subject).
    public func attach(referrers: [Descriptor], to subject: Descriptor) async throws {
        lock.withLock { changes.referrers += referrers }
    }

    /// A tagged artifact is an entry named by its tag (`sha256-HEX.sig`).
    public func attach(_ artifact: RawManifest, tag: String) async throws {
        lock.withLock { changes.named.append((artifact.descriptor(), tag)) }
    }

    /// The layout as it was before this publication (nil while it does not exist yet).
    public var existing: ImageSource? {
        FileManager.default.fileExists(atPath: directory + "/" + OCILayout.indexFile) ? OCILayoutSource(directory: directory, name: nil) : nil
    }

    public func taggedManifest(_ tag: String) async throws -> RawManifest? {
        let (directory, location) = (self.directory, description)
        guard FileManager.default.fileExists(atPath: directory + "/" + OCILayout.indexFile) else { return nil }
        return try await BlockingWork.run {
            guard let entry = try OCILayout.readIndex(directory, location: location).first(where: { OCILayout.refName($0) == tag }) else {
                return nil
            }
            return try OCILayoutSource.readManifest(entry, directory: directory, location: location)
        }
    }

    public func name(_ root: RawManifest, as names: [String]) async throws {
        lock.withLock {
            if names.isEmpty { changes.unnamed.append(root.descriptor()) }
            for name in names { changes.named.append((root.descriptor(), name)) }
        }
    }

    // MARK: commit, abort

    /// Applies the attachments and names to index.json in one atomic rewrite, under the
    /// layout's lock (other publications of this run, or other processes, may commit too).
    public func commit() async throws {
        let (directory, location) = (self.directory, description)
        let changes = lock.withLock { self.changes }
        try open()  // everything may have been there already: the index still changes
        try await BlockingWork.run {
            try LayoutClaims.shared.exclusively(Self.canonical(directory)) {
                var document = try OCILayout.readIndexDocument(directory, location: location)
                    ?? .object(["schemaVersion": .int(2), "mediaType": .string(MediaType.ociIndex)])
                document["manifests"] = .array(try changes.applied(to: document["manifests"]?.arrayValue ?? []))
                try LocalBlob.writeSmallFile(try CanonicalJSON.encode(document), to: directory + "/" + OCILayout.indexFile)
            }
        }
        claims.finish(committed: true)
    }

    /// Blobs already written to an existing layout stay (valid, content-addressed; index.json
    /// is untouched); a layout this run created is removed once no publication of the run is
    /// still writing to it and none committed there.
    public func abort() async {
        let wasOpened = lock.withLock { opened }
        claims.finish(committed: false, opened: wasOpened)
    }

    /// Creates the directories and the marker, once (the first blob or manifest).
    private func open() throws {
        try lock.withLock {
            guard !opened else { return }
            try claims.open {
                let location = description
                do {
                    try FileManager.default.createDirectory(atPath: OCILayout.blobDirectory(directory), withIntermediateDirectories: true)
                } catch {
                    throw AssemblyError.invalidImage("\(location): cannot create directory: \(describeSystemError(error))")
                }
                let markerPath = directory + "/" + OCILayout.markerFile
                if !FileManager.default.fileExists(atPath: markerPath) {
                    try LocalBlob.writeSmallFile(Array("{\"imageLayoutVersion\":\"\(OCILayout.version)\"}".utf8), to: markerPath)
                }
            }
            opened = true
        }
    }

    /// A missing layout directory must be creatable: its nearest existing ancestor a writable
    /// directory.
    static func checkCreatable(_ directory: String, location: String) throws {
        var url = URL(fileURLWithPath: directory).standardizedFileURL
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.path) { url = url.deletingLastPathComponent() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AssemblyError.invalidImage("\(location): cannot create it: \(url.path) is not a directory")
        }
        if let problem = OutputPath.creationProblem(in: url.path) { throw AssemblyError.invalidImage("\(location): \(problem)") }
    }
}
