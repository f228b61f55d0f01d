import Assembly
import Foundation
import OCI
import Registry
import Streams

/// `--lock FILE`: every input's resolved digest, so a build can be repeated months later
/// whatever the tags say by then. Images are keyed by the location as given (the base, the
/// plugin and docker CLI images, `--copy-from` images): the digest the location named, and the
/// manifest each platform resolved to. Downloads are keyed by their URL without its query (a
/// presigned URL's secret never lands in the file), with their SHA-256.
public struct InputLockFile: Codable, Equatable, Sendable {
    public struct Image: Codable, Equatable, Sendable {
        public var digest: Digest
        public var platforms: [String: Digest]
    }
    public struct Download: Codable, Equatable, Sendable {
        public var sha256: Digest
    }
    public var lockVersion = 1
    public var images: [String: Image] = [:]
    public var downloads: [String: Download] = [:]

    public init() {}

    public static func read(_ path: String) throws -> InputLockFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 16 << 20,
              let lock = try? UntrustedJSON.decode(InputLockFile.self, from: data) else {
            throw BuildError.input("--lock \(path): not a samforge lock file (delete it, or give --update-lock to write it again)")
        }
        guard lock.lockVersion == 1 else { throw BuildError.input("--lock \(path): lock version \(lock.lockVersion) is not supported") }
        return lock
    }

    /// This lock with what a successful publication resolved merged in: each of its inputs
    /// pinned anew, every other pin kept (a lock is merged, never shrunk: a matrix entry run
    /// alone keeps the other entries' pins).
    public func merging(_ inputs: [ResolvedInput]) -> InputLockFile {
        var merged = self
        for input in inputs {
            switch input.source {
            case .image(let location, _, let root, let platform, let manifest):
                var image = merged.images[location] ?? Image(digest: root, platforms: [:])
                if image.digest != root { image.platforms = [:] }  // another image now: its old platforms go
                image.digest = root
                image.platforms[platform.description] = manifest
                merged.images[location] = image
            case .file(.url(let url), let sha256):
                merged.downloads[redactedURL(url)] = Download(sha256: sha256)
            case .file(.local, _):
                break  // a local file is the user's own: nothing to pin
            }
        }
        return merged
    }

    /// Sorted keys, indented: a lock file diffs well in review. Written atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do { try (try encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw BuildError.input("--lock \(path): cannot write: \(describeSystemError(error))")
        }
    }
}

/// A run's use of a lock: the pins it takes inputs at (none when writing a new lock or with
/// `--update-lock`). What the run resolved is not kept here: each publication's mutation
/// carries it, and the command merges the lock from the publications that succeeded, after
/// they did (a failed run leaves the file as it was).
public final class InputLock: @unchecked Sendable {
    private let pins: InputLockFile
    private let lock = NSLock()
    private var warned: Set<String> = []
    let warn: (@Sendable (String) -> Void)?

    /// - Parameter pins: the existing lock file, or nil to resolve everything afresh.
    public init(pins: InputLockFile?, warn: (@Sendable (String) -> Void)?) {
        self.pins = pins ?? InputLockFile()
        self.warn = warn
    }

    /// `location` as a source at its pinned digest, when the lock pins it (one warning line when
    /// the location names another image by now); else as it is.
    func source(_ location: ImageLocation, opened source: ImageSource) async throws -> ImageSource {
        let key = location.description
        guard let pin = pins.images[key] else { return source }
        let current = try? await source.rootManifest().digest
        if let current, current != pin.digest, lock.withLock({ warned.insert(key).inserted }) {
            warn?("\(key) now names \(current); using the locked \(pin.digest) (--update-lock takes the new one)")
        }
        return PinnedSource(base: source, digest: pin.digest)
    }

    /// Checks a download against its pin: a different SHA-256 is an error, every run, until
    /// `--update-lock` takes the new one.
    func check(download url: String, sha256: Digest) throws {
        let key = redactedURL(url)
        if let pin = pins.downloads[key], pin.sha256 != sha256 {
            throw BuildError.download(url: key, detail: "its SHA-256 is \(sha256), the lock says \(pin.sha256) (--update-lock takes the new one)")
        }
    }
}
