import Assembly
import Attestations
import Foundation
import Layers
import OCI
import Registry
import Streams

/// Everything plans read, materialized once per run however many plans, bases and platforms
/// use it: images resolved once per platform, their merged filesystems streamed once for all
/// the paths taken from them, each download fetched once. Concurrent users of one input
/// share its work.
final class PlanInputs: @unchecked Sendable {
    let client: RegistryClient
    let workspace: BuildWorkspace
    let progress: (@Sendable (String) -> Void)?
    /// The run's lock: inputs taken at their pins, downloads checked against theirs.
    let lock: InputLock?
    private let images = Memo<ResolvedImage>()
    private let filesystems = Memo<Handoff<MergedFilesystem>>()
    private let downloads = Memo<String>()
    private let hashes = Memo<Digest>()

    init(client: RegistryClient, workspace: BuildWorkspace, lock: InputLock?, progress: (@Sendable (String) -> Void)?) {
        self.client = client
        self.workspace = workspace
        self.lock = lock
        self.progress = progress
    }

    /// Every image and file `plan` reads for `platform`, each once, as this run resolved them
    /// (memoized: nothing is fetched or hashed again).
    func resolved(_ plan: ImagePlan, platform: Platform) async throws -> [ResolvedInput] {
        var resolved: [ResolvedInput] = []
        var seen: Set<String> = []
        for operation in plan.layers.flatMap(\.operations) {
            switch operation {
            case .copy(let copy) where seen.insert(copy.image.description).inserted:
                let image = try await self.image(copy.image, platform: platform, role: copy.role)
                resolved.append(.image(copy.image, kind: .image, role: copy.role, resolved: image, platform: platform))
            case .file(let file) where seen.insert(file.input.description).inserted:
                let sha256 = try await self.sha256(of: file.input, role: file.role)
                resolved.append(ResolvedInput(kind: file.input.isLocal ? .file : .download, role: file.role, source: .file(file.input, sha256: sha256)))
            default:
                break
            }
        }
        return resolved
    }

    /// `location` for `platform` (an index's child, its config checked against it).
    func image(_ location: ImageLocation, platform: Platform, role: String) async throws -> ResolvedImage {
        try await images.value("\(location) \(platform)") { [self] in
            try await step(role) {
                let image = try await ResolvedImage.resolve(try await open(location, platform: platform), platform: platform)
                progress?("\(role): \(location) → \(image.manifest.digest) (\(counted(image.image.layers.count, "layer")))")
                return image
            }
        }
    }

    /// The location as a source, at its pinned digest when the lock pins it.
    func open(_ location: ImageLocation, platform: Platform) async throws -> ImageSource {
        let source = try location.openSource(client: client, platform: platform)
        guard let lock else { return source }
        return try await lock.source(location, opened: source)
    }

    /// The merged filesystem of `location` for `platform`, keeping the content of `paths`.
    func filesystem(_ location: ImageLocation, platform: Platform, selecting paths: [String], role: String) async throws -> MergedFilesystem {
        let key = Self.filesystemKey(location, platform: platform, selecting: paths)
        let selectors = Array(Set(paths)).sorted()
        return try await filesystems.value(key) { [self] in
            let image = try await self.image(location, platform: platform, role: role)
            // Layer errors name the layer, not the image: the label does.
            return try await step("\(role) \(location)") {
                let filesystem = try MergedFilesystem(selecting: selectors, stagingDirectory: workspace.makePath("copy"))
                try await image.apply(to: filesystem)
                return Handoff(value: filesystem)
            }
        }.value
    }

    /// Lets a merged filesystem go once the layer copying from it is written (a tree of
    /// 100,000 paths is tens of MB): the layer is kept, so nothing asks for it again in the run,
    /// and whatever would is served by merging again.
    func releaseFilesystem(_ location: ImageLocation, platform: Platform, selecting paths: [String]) {
        filesystems.forget(Self.filesystemKey(location, platform: platform, selecting: paths))
    }

    private static func filesystemKey(_ location: ImageLocation, platform: Platform, selecting paths: [String]) -> String {
        "\(location) \(platform) \(Array(Set(paths)).sorted().joined(separator: "\n"))"
    }

    /// A local path holding the input's bytes: the file itself, or the download.
    func localFile(_ input: FileInput, role: String) async throws -> String {
        switch input {
        case .local(let path): return path
        case .url(let url):
            return try await downloads.value(url) { [self] in
                let path = workspace.makePath("download")
                progress?("\(role): downloading \(redactedURL(url))")
                do { try await client.download(url, toFile: path) } catch RegistryError.unreachable(_, let detail) {
                    throw BuildError.download(url: redactedURL(url), detail: detail)
                }
                // Before anything uses the bytes: a download the lock pins must be the same.
                try lock?.check(download: url, sha256: try await sha256(ofFile: path))
                return path
            }
        }
    }

    /// SHA-256 of the input's bytes (the download, or the local file), for the SBOM and the lock.
    func sha256(of input: FileInput, role: String) async throws -> Digest {
        if case .local(let path) = input, LocalTree.isDirectory(path) {
            return try await hashes.value(path) { try await BlockingWork.run { try LocalTree.digest(path, source: role) } }
        }
        return try await sha256(ofFile: try await localFile(input, role: role))
    }

    private func sha256(ofFile path: String) async throws -> Digest {
        try await hashes.value(path) {
            try await BlockingWork.run {
                let hashing = HashingSink()
                try FileSource(path: path).pump(to: hashing)
                return hashing.finalize()
            }
        }
    }
}

/// Hands a non-Sendable object (a merged filesystem, read-only once built) between tasks.
struct Handoff<Value>: @unchecked Sendable {
    let value: Value
}
