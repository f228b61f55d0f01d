import Foundation
import Testing
import TestSupport

/// The consumers that pull, load and run what samforge writes, each on the test world's own
/// state (scripts/testworld): containerd through `ctr` on the world's socket, and podman,
/// buildah and skopeo (`containers-storage:`) rootful on the world's storage root.
enum Consumers {
    static let environment = ProcessInfo.processInfo.environment

    /// containerd's socket, from the world's env file; nil before `scripts/testworld start`.
    static var containerdAddress: String? { environment["SAMFORGE_TEST_CONTAINERD"] }
    static var available: Bool { TestWorld.available && containerdAddress != nil }
    static var namespace: String { environment["SAMFORGE_TEST_CONTAINERD_NAMESPACE"] ?? "samforge" }
    /// overlayfs, or native where the kernel refuses containerd an overlay mount.
    static var snapshotter: String { environment["SAMFORGE_TEST_CONTAINERD_SNAPSHOTTER"] ?? "native" }
    /// `HOST:PORT/hosts.toml` for each world registry (containerd's config_path format).
    static var hostsDirectory: String { environment["SAMFORGE_TEST_CONTAINERD_HOSTS"] ?? "" }
    static var containerdState: String { environment["SAMFORGE_TEST_CONTAINERD_STATE"] ?? "" }
    static var storage: String { environment["SAMFORGE_TEST_CONTAINERS_STORAGE"] ?? "" }
    /// overlay, or vfs where the kernel refuses an overlay mount (as the snapshotter).
    static var storageDriver: String { environment["SAMFORGE_TEST_CONTAINERS_DRIVER"] ?? "vfs" }

    /// A name no other test gives a container or an image.
    static func uniqueName(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// Runs a consumer and requires success, naming the command and its stderr otherwise.
    @discardableResult
    static func succeed(_ tool: String, _ arguments: [String]) throws -> CommandResult {
        let result = try Command.run(tool, arguments)
        try #require(result.status == 0, "\(tool) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        return result
    }

    /// The non-empty lines a consumer printed.
    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }
}

/// containerd, as a Kubernetes node uses it: `ctr` pulls through `--hosts-dir` (the node's
/// `config_path`), imports archives, unpacks into the snapshotter and runs tasks with runc.
enum Containerd {
    static func ctr(_ arguments: [String]) throws -> CommandResult {
        try Command.run("ctr", ["--address", Consumers.containerdAddress ?? "", "--namespace", Consumers.namespace] + arguments)
    }

    @discardableResult
    static func succeed(_ arguments: [String]) throws -> CommandResult {
        let result = try ctr(arguments)
        try #require(result.status == 0, "ctr \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)\(result.stdout)")
        return result
    }

    /// `ctr images pull` (unpacked into the snapshotter), for one platform or the host's.
    static func pull(_ reference: String, platform: String? = nil) throws {
        try succeed(["images", "pull", "--hosts-dir", Consumers.hostsDirectory, "--snapshotter", Consumers.snapshotter]
            + (platform.map { ["--platform", $0] } ?? []) + [reference])
    }

    /// `ctr images import` of a docker-archive or oci-archive file (unpacked); returns its output.
    @discardableResult
    static func importArchive(_ path: String) throws -> CommandResult {
        try succeed(["images", "import", "--snapshotter", Consumers.snapshotter, path])
    }

    /// The digest containerd's image `name` points at (`ctr images ls`' DIGEST column).
    static func digest(of name: String) throws -> String {
        let listing = try succeed(["images", "ls"]).stdout
        let row = try #require(Consumers.lines(listing).first { $0.split(separator: " ").first.map(String.init) == name },
                               "containerd has no image \(name): \(listing)")
        return try #require(row.split(separator: " ").map(String.init).first { $0.hasPrefix("sha256:") })
    }

    /// Whether the content store holds a blob (a manifest, config or layer).
    static func hasContent(_ digest: String) throws -> Bool {
        try ctr(["content", "get", digest]).status == 0
    }

    static func content(_ digest: String) throws -> String { try succeed(["content", "get", digest]).stdout }

    /// `ctr run --rm`: a runc task in the image's unpacked snapshot, its entrypoint (or
    /// `command`) with the image's Env and WorkingDir; stdout of the task. runc's root and ctr's
    /// fifos stay in the world's containerd directory.
    static func run(_ image: String, _ command: [String] = [], platform: String? = nil) throws -> String {
        let state = Consumers.containerdState
        return try succeed(["run", "--rm", "--snapshotter", Consumers.snapshotter, "--runc-root", state + "/runc",
                            "--fifo-dir", state + "/fifo"] + (platform.map { ["--platform", $0] } ?? [])
                           + [image, Consumers.uniqueName("samforge-test")] + command).stdout
    }
}

/// podman and buildah, rootful, on the world's storage root (never the machine's), runc's
/// container state there too (its default is /run/runc).
enum Podman {
    static var runcRoot: String { "root=\(Consumers.storage)/runc" }

    static var storageFlags: [String] {
        ["--root", Consumers.storage + "/root", "--runroot", Consumers.storage + "/run", "--storage-driver", Consumers.storageDriver]
    }

    /// podman 4.3 as root asks runc for RLIMIT_NOFILE 1048576 and RLIMIT_NPROC 4194304; raising
    /// a hard limit needs CAP_SYS_RESOURCE, which this sandbox's capability set lacks ("error
    /// setting rlimits for ready process: … operation not permitted"). Limits under the hard
    /// ones here (20000 files; conmon runs with 32768 processes) let `podman run` start.
    /// No network: nothing here needs one.
    static let runFlags = ["--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]

    @discardableResult
    static func podman(_ arguments: [String]) throws -> CommandResult {
        try Consumers.succeed("podman", storageFlags + ["--tmpdir", Consumers.storage + "/tmp", "--runtime-flag", runcRoot,
                                                        "--cgroup-manager", "cgroupfs", "--events-backend", "file"] + arguments)
    }

    @discardableResult
    static func buildah(_ arguments: [String]) throws -> CommandResult {
        try Consumers.succeed("buildah", storageFlags + arguments)
    }

    /// `podman run`: the image's entrypoint (or `command`); stdout.
    static func run(_ image: String, _ command: [String] = []) throws -> String {
        try podman(["run"] + runFlags + [image] + command).stdout
    }

    /// `buildah from` + `buildah run` in the working container (removed after); stdout.
    static func buildahRun(_ reference: String, _ command: [String]) throws -> String {
        let container = try buildah(["from", "-q", "--tls-verify=false", reference]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? Command.run("buildah", storageFlags + ["rm", container]) }
        return try buildah(["run", "--runtime-flag", runcRoot, container, "--"] + command).stdout
    }

    /// The digests podman recorded for an image it pulled (`REPO@sha256:…`, `RepoDigests`).
    static func repoDigests(_ image: String) throws -> [String] {
        let text = try podman(["image", "inspect", "--format", "{{json .RepoDigests}}", image]).stdout
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String])
    }

    /// skopeo's name for this storage: `containers-storage:[DRIVER@ROOT+RUNROOT]NAME`.
    static func storageLocation(_ name: String) -> String {
        "containers-storage:[\(Consumers.storageDriver)@\(Consumers.storage)/root+\(Consumers.storage)/run]\(name)"
    }
}
