import Foundation
import OCI
#if canImport(Glibc)
import Glibc
#endif

/// What a publication does to a layout's index.json, kept until its commit: artifacts listed
/// with their `artifactType`, entries named (`org.opencontainers.image.ref.name`, replacing an
/// entry of the same name), or the root listed unnamed (once per digest). Every other entry,
/// and every field samforge does not model, is kept.
struct LayoutIndexChanges: Sendable {
    var referrers: [Descriptor] = []
    var named: [(descriptor: Descriptor, name: String)] = []
    var unnamed: [Descriptor] = []

    func applied(to existing: [JSONValue]) throws -> [JSONValue] {
        var entries = existing
        func isUnnamed(_ entry: JSONValue, _ digest: Digest) -> Bool {
            entry["digest"]?.stringValue == digest.description && entry["annotations"]?[OCILayout.refNameAnnotation] == nil
        }
        // An entry replaces its earlier self where that stood (a re-run leaves index.json as it
        // was), else it is appended.
        func put(_ entry: JSONValue, replacing matches: (JSONValue) -> Bool) {
            guard let first = entries.firstIndex(where: matches) else { return entries.append(entry) }
            entries[first] = entry
            entries = entries.enumerated().filter { $0.offset <= first || !matches($0.element) }.map(\.element)
        }
        for descriptor in referrers + unnamed {
            put(try OCILayout.encode(descriptor)) { isUnnamed($0, descriptor.digest) }
        }
        for (descriptor, name) in named {
            let entry = Descriptor(mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
                                   annotations: [OCILayout.refNameAnnotation: name])
            put(try OCILayout.encode(entry)) { $0["annotations"]?[OCILayout.refNameAnnotation]?.stringValue == name }
        }
        return entries
    }
}

/// The layouts this process writes, so that publications sharing one (matrix entries, an
/// index's platforms) commit one at a time and a layout the run created is removed only when
/// no publication committed there and none is still writing.
final class LayoutClaims: @unchecked Sendable {
    static let shared = LayoutClaims()
    private let lock = NSLock()
    private var states: [String: State] = [:]

    private final class State {
        var active = 0
        var committed = false
        /// What this run created for the layout: its outermost new directory, or, in a
        /// directory that was there empty, the marker and `blobs`.
        var created: [String]?
        let mutex = NSLock()
    }

    func claim(_ path: String) -> Claim { Claim(owner: self, path: path) }

    /// One destination's share of a layout.
    final class Claim: @unchecked Sendable {
        let owner: LayoutClaims
        let path: String
        init(owner: LayoutClaims, path: String) {
            self.owner = owner
            self.path = path
        }

        /// Counts the destination as writing, and runs `create` (directories, marker),
        /// remembering what the run created the first time.
        func open(_ create: () throws -> Void) throws {
            try owner.withState(path) { state in
                if state.created == nil, !state.committed { state.created = Self.toCreate(path) }
                state.active += 1
                try create()
            }
        }

        func finish(committed: Bool, opened: Bool = true) {
            guard opened else { return }
            owner.withState(path) { state in
                state.active -= 1
                if committed { state.committed = true }
                if state.active == 0, !state.committed, let created = state.created {
                    for path in created { try? FileManager.default.removeItem(atPath: path) }
                    state.created = nil
                }
            }
        }

        /// What opening the layout at `directory` creates: its outermost missing directory, or,
        /// when the directory exists without a marker (empty: the destination checked it), the
        /// marker and `blobs` inside it; nothing for an existing layout.
        static func toCreate(_ directory: String) -> [String]? {
            if let missing = outermostMissing(directory) { return [missing] }
            guard !FileManager.default.fileExists(atPath: directory + "/" + OCILayout.markerFile) else { return nil }
            return [directory + "/" + OCILayout.markerFile, directory + "/blobs"].filter { !FileManager.default.fileExists(atPath: $0) }
        }

        /// `a/b/c` with only `a` existing → `a/b`.
        static func outermostMissing(_ directory: String) -> String? {
            var missing: String?
            var url = URL(fileURLWithPath: directory)
            while url.path != "/" && !FileManager.default.fileExists(atPath: url.path) {
                missing = url.path
                url = url.deletingLastPathComponent()
            }
            return missing
        }
    }

    private func withState<T>(_ path: String, _ body: (State) throws -> T) rethrows -> T {
        try lock.withLock {
            let state = states[path] ?? State()
            states[path] = state
            return try body(state)
        }
    }

    /// Runs `body` holding the layout: one commit at a time in this process, and an exclusive
    /// `flock` on the directory against other processes.
    func exclusively<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let mutex = withState(path) { $0.mutex }
        return try mutex.withLock {
            let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { return try body() }
            defer { Glibc.close(descriptor) }
            _ = flock(descriptor, LOCK_EX)
            defer { _ = flock(descriptor, LOCK_UN) }
            return try body()
        }
    }
}
