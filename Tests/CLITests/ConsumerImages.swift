import Foundation
import Testing
import TestSupport

/// The images the consumer suites hand to containerd, podman, buildah, skopeo and umoci: one
/// per samforge command that writes images, each with what running it must print.
enum ConsumerImage: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `copy` of the Docker schema2 list (nodejs18.x): a consumer picks linux/amd64, and the
    /// base's whiteouts and opaque directory must hold in what it unpacks.
    case copy
    /// `append` onto the OCI image (python3.12): a file, Env, WorkingDir and an Entrypoint.
    case append
    /// `build`, the SAM plugin image: its entrypoint runs the plugin binary, go-template and docker.
    case build
    /// `copy --compression zstd` of the same list: an OCI index whose layers are zstd.
    case copyZstd = "copy-zstd"
    /// `build --compression zstd`: the plugin image with zstd layers on a Docker schema2 base (OCI).
    case buildZstd = "build-zstd"

    /// The image it is, compression aside (what runs, what it prints).
    var plain: ConsumerImage {
        switch self {
        case .copyZstd: return .copy
        case .buildZstd: return .build
        default: return self
        }
    }

    /// Whether its layers are zstd (umoci 0.4.7 reads none).
    var isZstd: Bool { plain != self }

    var testDescription: String { rawValue }

    /// Where an image goes: the plain registry, a docker archive, an OCI layout.
    enum Sink {
        case registry
        case dockerArchive(file: String)
        case ociLayout(directory: String)

        /// The target for a repository name (`build` takes a repository, the others a tag too).
        func target(_ repository: String) -> String {
            switch self {
            case .registry: return "\(TestWorld.plain)/test/\(repository)"
            case .dockerArchive(let file): return "docker-archive:\(file):example.test/\(repository)"
            case .ociLayout(let directory): return "oci:\(directory):example.test/\(repository)"
            }
        }

        /// What precedes the image's name in samforge's last line.
        var prefix: String {
            switch self {
            case .registry: return ""
            case .dockerArchive(let file): return "docker-archive:\(file):"
            case .ociLayout(let directory): return "oci:\(directory):"
            }
        }
    }

    /// What samforge wrote: the image's name as its consumers see it (a registry reference, an
    /// archive's RepoTag, a layout's ref name) and the digest samforge printed.
    struct Written {
        var name: String
        var digest: String
        /// `NAME` without its tag, for `REPO@sha256:…`.
        var repository: String { String(name[..<(name.lastIndex(of: ":") ?? name.endIndex)]) }
    }

    /// Runs the command into `sink` (`extra`: e.g. `--format oci`) and reads its last line.
    func write(to sink: Sink, extra: [String] = []) throws -> Written {
        let target = sink.target("consumers/\(Consumers.uniqueName(rawValue))")
        let result = try CopyKit.succeed(try arguments(target: target, extra: extra))
        let line = result.lastLine
        let at = try #require(line.lastIndex(of: "@"), "no digest in \(line)")
        let location = String(line[..<at])
        try #require(location.hasPrefix(sink.prefix), "\(line) is not in \(sink.prefix)")
        return Written(name: String(location.dropFirst(sink.prefix.count)), digest: String(line[line.index(after: at)...]))
    }

    private func arguments(target: String, extra: [String]) throws -> [String] {
        let plain = TestWorld.plain
        switch self {
        case .copyZstd, .buildZstd:
            return try self.plain.arguments(target: target, extra: ["--compression", "zstd"] + extra)
        case .copy:
            return ["copy", "-q"] + extra + ["\(plain)/\(BuildHarness.nodeList)", target + ":1"]
        case .append:
            let note = try TemporaryDirectory().path + "/note.txt"
            try "appended by samforge\n".write(toFile: note, atomically: true, encoding: .utf8)
            return ["append", "-q", "--file", "\(note):/opt/note.txt:0644", "--env", "GREETING=hello", "--workdir", "/srv",
                    "--entrypoint", Self.appendEntrypointJSON] + extra + ["\(plain)/\(BuildHarness.pythonBase)", target + ":1"]
        case .build:
            return try BuildHarness.arguments(target: target, extra: ["-q"] + extra)
        }
    }

    private static let appendEntrypoint = ["/bin/sh", "-c", "echo $GREETING from $(pwd); cat /opt/note.txt"]
    private static let appendEntrypointJSON = #"["/bin/sh", "-c", "echo $GREETING from $(pwd); cat /opt/note.txt"]"#

    /// The command to run, and whether it is the image's own entrypoint (ctr and podman then run
    /// the image with no command; buildah run, which ignores the entrypoint, gets it spelled out).
    var command: [String] {
        switch plain {
        case .copy: return ["/bin/sh", "-c", "cat /opt/stale/c.txt; ls /opt/stale; test -e /etc/motd || echo no motd; /var/lang/bin/node"]
        case .append: return Self.appendEntrypoint
        case .build: return ["/opt/harness/scripts/sam-plugin.sh"]
        default: return []
        }
    }

    var runsEntrypoint: Bool { plain != .copy }

    /// The command's stdout lines, in the image's Env and WorkingDir.
    var expectedOutput: [String] {
        switch plain {
        case .copy: return ["fresh c", "c.txt", "no motd", "v18.20.8 (samforge fixture)"]
        case .append: return ["hello from /srv", "appended by samforge"]
        case .build: return ["sam-plugin.sh v2", "HARNESS_GO_PLUGIN_VERSION=v0.4.5", "DOCKER_VERSION=26.0.1",
                             "harness-sam-plugin fixture v1", "go-template v0.4.5 (samforge fixture)",
                             "Docker version 26.0.1, build fixture-amd64"]
        default: return []
        }
    }

    /// What ctr and podman run: nothing for the entrypoint, else the command.
    var runArguments: [String] { runsEntrypoint ? [] : command }
}
