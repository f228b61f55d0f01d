import Assembly
import Foundation
import Layers
import OCI
import Registry

/// What to put on top of a base image, as a pure value: an ordered list of layers, each an
/// ordered list of operations (Dockerfile ADD, COPY --from, mkdir), plus config changes. The
/// SAM recipe and `append` are both such plans; `PlanRunner` carries out any of them.
public struct ImagePlan: Sendable {
    public var layers: [Layer]
    public var changes: ConfigChanges
    /// Every entry's mtime (SOURCE_DATE_EPOCH, else 0): same inputs, same layer.
    public var mtime: Int64
    /// The config's `created` (and each new history entry's).
    public var created: Created
    /// How the new layers are compressed (`--compression`; gzip level 6 by default).
    public var compression: Compression

    public init(layers: [Layer] = [], changes: ConfigChanges = ConfigChanges(), mtime: Int64 = 0, created: Created = .base,
                compression: Compression = .gzip) {
        self.layers = layers
        self.changes = changes
        self.mtime = mtime
        self.created = created
        self.compression = compression
    }

    public enum Created: Sendable, Equatable {
        /// A fixed RFC 3339 time (SOURCE_DATE_EPOCH, or the clock when asked for).
        case fixed(String)
        /// The base image's own `created`, else the epoch: deterministic by default (as ko and
        /// jib are), while tools that show an image's age still show something meaningful.
        case base
    }

    /// One new layer. Later operations win over earlier ones for the same path.
    public struct Layer: Sendable {
        public var operations: [Operation]
        /// The history entry's `created_by`; `.imageID(of:)` parts are filled in with the
        /// image ID (config digest) the image resolved to.
        public var history: [HistoryPart]
        public var comment: String?
        /// How progress lines name the layer ("plugin files").
        public var label: String

        public init(operations: [Operation], history: [HistoryPart], comment: String? = nil, label: String) {
            self.operations = operations
            self.history = history
            self.comment = comment
            self.label = label
        }
    }

    public enum Operation: Sendable, Equatable {
        /// A directory entry (`mkdir -m MODE`), root-owned.
        case directory(String, mode: UInt32)
        case file(FileCopy)
        case copy(ImageCopy)
    }

    public enum HistoryPart: Sendable, Equatable {
        case text(String)
        /// An input image by its image ID, the digest of its config (`docker images` shows it):
        /// the same bytes wherever the image is read from (a registry, a mirror, a layout, a
        /// docker archive), where its location and manifest digest are not (an archive keeps no
        /// manifest), so the same inputs give the same history, and the same image digest.
        case imageID(of: ImageLocation)
    }

    /// ADD: a local file or a download at `destination`, root-owned.
    public struct FileCopy: Sendable, Equatable {
        public var input: FileInput
        public var destination: String
        /// nil: a local file keeps its own permission bits, a download gets 0644.
        public var mode: UInt32?
        /// When the input is a (gzip) tar, take this entry of it instead (the static docker bundle).
        public var archiveEntry: String?
        /// How messages name the input ("go-template", "--file").
        public var role: String

        public init(_ input: FileInput, to destination: String, mode: UInt32? = nil, archiveEntry: String? = nil, role: String) {
            self.input = input
            self.destination = destination
            self.mode = mode
            self.archiveEntry = archiveEntry
            self.role = role
        }
    }

    /// COPY --from: a file or tree of another image's merged filesystem (later layers win,
    /// whiteouts honoured, hard links and symlinks kept), re-rooted at `destination`,
    /// root-owned.
    public struct ImageCopy: Sendable, Equatable {
        public var image: ImageLocation
        public var source: String
        public var destination: String
        /// Paths in the layer that become 0755 (`chmod +x`, on every name of a hard-linked
        /// file): each must be a regular file the copy brought.
        public var executables: [String]
        /// How messages name the image ("plugin image").
        public var role: String

        public init(_ image: ImageLocation, _ source: String, to destination: String? = nil, executables: [String] = [], role: String = "image") {
            self.image = image
            self.source = source
            self.destination = destination ?? source
            self.executables = executables
            self.role = role
        }
    }
}

/// Where an ADD takes its bytes: a local file, or a URL fetched through the registry client's
/// transport (its TLS trust, retries and redirects).
public enum FileInput: Sendable, Hashable, CustomStringConvertible {
    case local(String)
    case url(String)

    /// `http(s)://…` is a URL; `file://PATH` and anything else a local path, which must be a
    /// readable regular file, or with `directories` a directory (a tree to add; checked now,
    /// before any network traffic).
    public init(parsing text: String, option: String, directories: Bool = false) throws(BuildError) {
        let lower = text.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            guard let url = URL(string: text), url.host != nil else { throw .input("\(option) \(redactedURL(text)): not a valid URL") }
            self = .url(text)
            return
        }
        let path = lower.hasPrefix("file://") ? String(text.dropFirst("file://".count)) : text
        if directories, !path.isEmpty, LocalTree.isDirectory(path) {
            // Every entry is checked now (names, kinds, readable), before any traffic.
            do { _ = try LocalTree.walk(path, source: "\(option) \(text)") } catch let error as BuildError { throw error } catch {
                throw .input("\(option) \(text): \(error)")
            }
            self = .local(path)
            return
        }
        var isDirectory: ObjCBool = false
        guard !path.isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              FileManager.default.isReadableFile(atPath: path) else {
            throw .input("\(option) \(text): no such readable file (give a file\(directories ? ", a directory" : "") or an http(s) URL)")
        }
        self = .local(path)
    }

    /// URLs redacted: presigned queries and `user:password@` are secrets.
    public var description: String {
        switch self {
        case .url(let url): return redactedURL(url)
        case .local(let path): return path
        }
    }

    /// The file name, for history: a URL's last path component (so the history, and the digest,
    /// do not depend on a mirror's address), or a file's name.
    public var name: String {
        switch self {
        case .url(let url): return URL(string: url)?.lastPathComponent ?? url
        case .local(let path): return URL(fileURLWithPath: path).lastPathComponent
        }
    }
}
