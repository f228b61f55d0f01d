import ArgumentParser
import Assembly
import Foundation
import Layers
import OCI
import SAM

/// `samforge append BASE TARGET`: files and paths from other images as one new layer, plus
/// config changes, pushed as TARGET. The generic form of what `build` does for SAM.
struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Add files (from disk or other images) and config changes to an image, and push it.",
        discussion: """
        One new layer holds every --file and --copy-from (root-owned; a file keeps its mode unless
        one is given); the base layers are copied byte for byte (mounted within one registry).
        Config: --env and --label add or replace, --entrypoint clears an inherited Cmd as Docker's
        ENTRYPOINT does, --cmd/--workdir/--user replace. SOURCE_DATE_EPOCH fixes mtimes and the
        created time, so the same inputs give the same digest. The last stdout line is
        TARGET:TAG@sha256:… (TAG defaults to latest).

        Examples:
          samforge append --file ./hello:/usr/local/bin/hello:0755 --entrypoint '["/usr/local/bin/hello"]' \\
              public.ecr.aws/sam/build-python3.12:1.143.0 registry.example.com/team/python-hello:1
          samforge append --copy-from harness/aws-sam-plugin:1.1.2:/opt/harness/scripts:/opt/tools \\
              --env TOOLS=/opt/tools --label org.example.team=platform BASE TARGET
        """
    )

    @Argument(help: "The base image (a registry reference).") var base: String
    @Argument(help: "Where the result is pushed: HOST/REPO[:TAG].") var target: String
    @Option(name: .customLong("file"), help: ArgumentHelp("Add a local file at an absolute path, optionally with an octal mode (repeatable).", valueName: "LOCAL:/DEST[:MODE]"))
    var files: [String] = []
    @Option(name: .customLong("copy-from"), help: ArgumentHelp("Copy a file or tree from another image (its merged filesystem) to DEST, default the same path (repeatable).", valueName: "IMAGE:/SRC[:/DEST]"))
    var copies: [String] = []
    @Option(name: .customLong("env"), help: ArgumentHelp("Set an environment variable (repeatable).", valueName: "KEY=VALUE")) var env: [String] = []
    @Option(name: .customLong("label"), help: ArgumentHelp("Set a label (repeatable).", valueName: "KEY=VALUE")) var labels: [String] = []
    @Option(help: ArgumentHelp("Entrypoint: a JSON array of strings, or one executable.", valueName: "JSON|PATH")) var entrypoint: String?
    @Option(help: ArgumentHelp("Cmd: a JSON array of strings, or one string.", valueName: "JSON|ARG")) var cmd: String?
    @Option(help: ArgumentHelp("Working directory.", valueName: "DIR")) var workdir: String?
    @Option(help: ArgumentHelp("User (name, uid or uid:gid).", valueName: "USER")) var user: String?
    @Option(help: ArgumentHelp("Platform picked from an index (default linux/amd64).", valueName: "os/arch[/variant]")) var platform: String?
    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Cache directory for the new layer (default $XDG_CACHE_HOME/samforge, else ~/.cache/samforge).", valueName: "DIR"))
    var cacheDir: String?
    @Flag(name: .shortAndLong, help: "No progress lines on stderr.") var quiet = false
    @OptionGroup var registry: RegistryFlags

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let baseReference = try Reference(parsing: base)
        let targetReference = try Reference(parsing: target)
        guard targetReference.digest == nil else { throw UsageError("\(target): a push target takes a tag, not a digest") }
        let tag = targetReference.tag ?? "latest"
        let wanted = try platform.map { try Platform(parsing: $0) } ?? .linuxAMD64
        var plan = try makePlan(environment: environment)

        let client = registry.makeClient(pushHosts: [targetReference.host], environment: environment)
        let progress = CopyProgress(quiet: quiet)
        let baseImage = try await withContext("base image \(baseReference)") {
            try await ResolvedImage.resolve(RegistrySource(client: client, reference: baseReference), platform: wanted)
        }
        // The build's cache and its lock: a build finishing meanwhile never prunes this layer.
        let workspace = try BuildWorkspace(root: BlobCache.defaultRoot(explicit: cacheDir, environment: environment))
        let layer = try await plan.writeLayer(client: client, platform: wanted, cache: workspace.cache, staging: workspace.makePath("append"))
        let instant = environment["SOURCE_DATE_EPOCH"].flatMap { $0.isEmpty ? nil : plan.mtime } ?? Int64(Date().timeIntervalSince1970)
        plan.changes.created = SAMTags.rfc3339(epoch: instant)

        let composed = try ImageComposer.compose(base: baseImage, adding: layer.map { [$0] } ?? [], changes: plan.changes)
        let appender = ImageAppender(client: client, repository: targetReference, onEvent: progress.event)
        defer { progress.end() }
        let report = try await withContext("push to \(targetReference.repositoryName):\(tag)") {
            try await appender.push(composed, base: baseImage, tags: [tag])
        }
        progress.end()
        do { try workspace.prune(keeping: Set(layer.map { [$0.digest] } ?? [])) } catch {
            if !quiet { Output.warning("cache not pruned: \(error)") }
        }
        Output.line("\(targetReference.repositoryName):\(tag)@\(report.digest)")
    }

    /// Every input checked before any traffic (exit 2).
    func makePlan(environment: [String: String]) throws -> AppendPlan {
        var plan = AppendPlan()
        plan.files = try files.map(Self.localFile)
        plan.copies = try copies.map(Self.imageCopy)
        plan.changes.env = try env.map { try Self.pair($0, option: "--env") }
        plan.changes.labels = try labels.map { try Self.pair($0, option: "--label") }
        plan.changes.entrypoint = try entrypoint.map { try Self.argumentList($0, option: "--entrypoint") }
        plan.changes.cmd = try cmd.map { try Self.argumentList($0, option: "--cmd") }
        plan.changes.workingDir = workdir
        plan.changes.user = user
        do { plan.mtime = try LayerWriter.mtime(fromEnvironment: environment) } catch { throw UsageError(String(describing: error)) }
        return plan
    }

    /// `LOCAL:/DEST[:MODE]`: DEST starts at the last `:/`.
    static func localFile(_ text: String) throws -> AppendPlan.LocalFile {
        guard let split = text.range(of: ":/", options: .backwards) else {
            throw UsageError("--file \(text): expected LOCAL:/DEST[:MODE] (DEST absolute)")
        }
        let source = String(text[..<split.lowerBound])
        var destination = String(text[text.index(after: split.lowerBound)...])
        var mode: UInt32?
        if let colon = destination.lastIndex(of: ":") {
            let digits = destination[destination.index(after: colon)...]
            guard (1...4).contains(digits.count), let value = UInt32(digits, radix: 8) else {
                throw UsageError("--file \(text): mode \"\(digits)\" is not octal (e.g. 0755)")
            }
            mode = value
            destination = String(destination[..<colon])
        }
        var isDirectory: ObjCBool = false
        guard !source.isEmpty, FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), !isDirectory.boolValue,
              FileManager.default.isReadableFile(atPath: source) else {
            throw UsageError("--file \(text): \(source.isEmpty ? "no local file given" : "\(source): no such readable file")")
        }
        return AppendPlan.LocalFile(source: source, destination: destination, mode: mode)
    }

    /// `IMAGE:/SRC[:/DEST]`: a reference never holds `:/`, so the first one ends IMAGE.
    static func imageCopy(_ text: String) throws -> AppendPlan.ImageCopy {
        guard let split = text.range(of: ":/") else {
            throw UsageError("--copy-from \(text): expected IMAGE:/SRC[:/DEST] (absolute paths)")
        }
        let image: Reference
        do { image = try Reference(parsing: String(text[..<split.lowerBound])) } catch {
            throw UsageError("--copy-from \(text): \(error.description)")
        }
        let paths = String(text[text.index(after: split.lowerBound)...])
        if let second = paths.range(of: ":/") {
            return AppendPlan.ImageCopy(image: image, source: String(paths[..<second.lowerBound]),
                                        destination: String(paths[paths.index(after: second.lowerBound)...]))
        }
        return AppendPlan.ImageCopy(image: image, source: paths, destination: paths)
    }

    static func pair(_ text: String, option: String) throws -> (key: String, value: String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw UsageError("\(option) \(text): expected KEY=VALUE")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// A JSON array of strings (exec form), or one string.
    static func argumentList(_ text: String, option: String) throws -> [String] {
        guard text.hasPrefix("[") else { return [text] }
        guard let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw UsageError("\(option) \(text): not a JSON array of strings")
        }
        return list
    }
}
