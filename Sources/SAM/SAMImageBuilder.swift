import Streams
import Assembly
import Foundation
import Layers
import OCI
import Registry

/// `samforge build`: resolve the base (linux/amd64, config checked), build the new layers
/// from the plugin image and the tools, compose config and manifest, push. Every input is
/// fetched and every layer written before the first byte is pushed, so a missing plugin file
/// or tool pushes nothing at all.
public struct SAMImageBuilder: Sendable {
    public let client: RegistryClient
    /// The cache directory (`BlobCache.defaultRoot`).
    public let cacheRoot: String
    public var jobs = 4
    /// Progress lines (stderr), or nil for --quiet.
    public var progress: (@Sendable (String) -> Void)?
    /// Every transfer event, byte counts included (a terminal's status line).
    public var onTransfer: (@Sendable (TransferEvent) -> Void)?
    /// Layers already written in this run, for the next runtime built with the same inputs.
    private let memo = SAMLayerMemo()

    public init(client: RegistryClient, cacheRoot: String, progress: (@Sendable (String) -> Void)? = nil) {
        self.client = client
        self.cacheRoot = cacheRoot
        self.progress = progress
    }

    public func build(_ request: SAMBuildRequest, now: Int64 = Int64(Date().timeIntervalSince1970)) async throws -> SAMBuildResult {
        let instant = request.sourceDateEpoch ?? now
        let mtime = request.sourceDateEpoch ?? 0
        let created = SAMTags.rfc3339(epoch: instant)
        let timestamp = SAMTags.timestamp(epoch: instant)
        let workspace = try BuildWorkspace(root: cacheRoot)

        let baseReference = request.base.reference
        let base = try await step("SAM base image", baseReference.description) {
            try await ResolvedImage.resolve(RegistrySource(client: client, reference: baseReference), platform: request.platform)
        }
        progress?("base: \(baseReference) → \(base.manifest.digest) (\(base.image.layers.count) layers, \(base.isDockerFlavour ? "Docker schema2" : "OCI"))")

        let layers = try await memo.layers(for: request, mtime: mtime) {
            var layers = [try await pluginLayer(request, workspace: workspace, mtime: mtime)]
            if let tools = try await toolsLayer(request, workspace: workspace, mtime: mtime) { layers.append(tools) }
            return layers
        }

        let composed = try ImageComposer.compose(base: base, adding: layers, changes: SAMRecipe.configChanges(created: created))
        var tags = [request.primaryTag]
        if request.timestampTag { tags.append(SAMTags.timestamped(request.primaryTag, timestamp: timestamp)) }

        let appender = ImageAppender(client: client, repository: request.target.reference, jobs: jobs, onEvent: transferEvents())
        let report = try await step("", request.target.reference.repositoryName) {
            try await appender.push(composed, base: base, tags: tags)
        }
        do { try workspace.prune(keeping: Set(layers.map(\.digest))) } catch {
            progress?("warning: cache not pruned: \(error)")
        }
        return SAMBuildResult(target: request.target, tags: report.tags, digest: report.digest, mediaType: report.mediaType,
                              runtime: request.base.runtime, samVersion: request.base.samVersion, timestamp: timestamp,
                              created: created, base: base, layers: layers, transfer: report)
    }

    /// Layer 1: the plugin binary and scripts from the plugin image's merged filesystem.
    private func pluginLayer(_ request: SAMBuildRequest, workspace: BuildWorkspace, mtime: Int64) async throws -> NewLayer {
        let reference = request.plugin
        return try await step("plugin image", reference.description) {
            let image = try await ResolvedImage.resolve(RegistrySource(client: client, reference: reference), platform: request.platform)
            progress?("plugin: \(reference) → \(image.manifest.digest) (\(image.image.layers.count) layers)")
            let filesystem = try MergedFilesystem(selecting: [SAMRecipe.pluginBinary, SAMRecipe.scriptsDirectory],
                                                  stagingDirectory: workspace.makePath("plugin"))
            try await image.apply(to: filesystem)
            let writer = try SAMLayers.plugin(from: filesystem, image: reference.description, mtime: mtime)
            let createdBy = "COPY --from=\(Self.portableName(reference))@\(image.manifest.digest) \(SAMRecipe.pluginBinary) \(SAMRecipe.scriptsDirectory)"
                + " (mkdir -m 777 \(SAMRecipe.openDirectories.joined(separator: " ")); chmod +x harness-sam-plugin sam-plugin.sh) # samforge"
            return try await write(writer, createdBy: createdBy, workspace: workspace, label: "plugin files")
        }
    }

    /// Layer 2 (when any tool is installed): go-template and the docker CLI.
    private func toolsLayer(_ request: SAMBuildRequest, workspace: BuildWorkspace, mtime: Int64) async throws -> NewLayer? {
        let files = ToolFiles(client: client, workspace: workspace, progress: progress)
        var steps: [String] = []
        var goTemplate: String?
        if let location = request.goTemplate {
            goTemplate = try await files.goTemplate(location)
            steps.append("ADD \(Self.sourceName(location)) \(SAMRecipe.goTemplatePath)")
        } else {
            progress?("go-template: skipped")
        }
        var docker: String?
        if let source = request.dockerCLI {
            docker = try await files.dockerCLI(source)
            switch source {
            case .image(let reference): steps.append("COPY --from=\(Self.portableName(reference)) \(SAMRecipe.dockerPath) \(SAMRecipe.dockerPath)")
            case .file(let location): steps.append("ADD \(Self.sourceName(location)) \(SAMRecipe.dockerPath)")
            }
        } else {
            progress?("docker CLI: skipped")
        }
        guard let writer = try SAMLayers.tools(goTemplate: goTemplate, docker: docker, mtime: mtime) else { return nil }
        return try await write(writer, createdBy: steps.joined(separator: " && ") + " (chmod 755) # samforge",
                               workspace: workspace, label: "client tools")
    }

    private func write(_ writer: LayerWriter, createdBy: String, workspace: BuildWorkspace, label: String) async throws -> NewLayer {
        let cache = workspace.cache
        let written = try await BlockingWork.run { try writer.write(into: cache) }
        progress?("layer \(written.digest.short) \(label) (\(written.size) bytes)")
        return NewLayer(digest: written.digest, diffID: written.diffID, size: written.size, path: written.path,
                        history: ImageConfig.History(created_by: createdBy, comment: SAMRecipe.historyComment))
    }

    /// A reference without its registry: history (and so the digest) stays the same whichever
    /// mirror an input image was pulled from.
    static func portableName(_ reference: Reference) -> String {
        reference.repository + (reference.tag.map { ":" + $0 } ?? "")
    }

    /// A URL's last path component (so the history does not depend on a mirror's address), or a file's name.
    static func sourceName(_ location: ToolLocation) -> String {
        switch location {
        case .url(let url): return URL(string: url)?.lastPathComponent ?? url
        case .file(let path): return URL(fileURLWithPath: path).lastPathComponent
        }
    }

    /// Transfer events for the progress lines and the status line, or nil when neither wants them.
    func transferEvents() -> (@Sendable (TransferEvent) -> Void)? {
        let describe: (@Sendable (TransferEvent) -> Void)? = progress.map(Self.describeEvents)
        let observe: (@Sendable (TransferEvent) -> Void)? = onTransfer
        if describe == nil && observe == nil { return nil }
        return { @Sendable event in
            observe?(event)
            describe?(event)
        }
    }

    static func describeEvents(_ progress: @escaping @Sendable (String) -> Void) -> @Sendable (TransferEvent) -> Void {
        { event in
            switch event {
            case .blobExists(let digest, let size): progress("blob \(digest.short) exists (\(size) bytes)")
            case .blobMounted(let digest, let size, let from): progress("blob \(digest.short) mounted from \(from) (\(size) bytes)")
            case .blobCopied(let digest, let size): progress("blob \(digest.short) pushed (\(size) bytes)")
            case .manifestPushed(let digest, _, let tag): progress("manifest \(digest.short) tagged \(tag ?? "(no tag)")")
            case .blobStarted, .bytesMoved: break
            }
        }
    }
}
