import Assembly
import Build
import OCI

/// The seed's Dockerfile, as data: what the SAM plugin image adds on top of its base. `plan`
/// turns a build request into the plan `PlanRunner` carries out; the recipe does no I/O.
public enum SAMRecipe {
    /// `ENV` lines, in Dockerfile order.
    public static let env: [(key: String, value: String)] = [
        ("HARNESS_GO_PLUGIN_VERSION", "v0.4.5"),
        ("DOCKER_VERSION", "26.0.1"),
        ("INSTALL_GO_TEMPLATE_BINARY", "true"),
        ("UNIFIED_PIPELINE", "false"),
    ]
    public static let entrypointScript = "/opt/harness/scripts/sam-plugin.sh"
    public static let entrypoint = [entrypointScript]

    public static let pluginBinary = "/opt/harness/bin/harness-sam-plugin"
    public static let scriptsDirectory = "/opt/harness/scripts/"
    /// `mkdir -m 777 -p` in the Dockerfile.
    public static let openDirectories = ["/opt/harness/bin", "/opt/harness/scripts", "/opt/harness/client-tools"]
    public static let goTemplatePath = "/opt/harness/client-tools/go-template"
    public static let dockerPath = "/usr/local/bin/docker"

    public static let defaultGoTemplateURL = "https://app.harness.io/public/shared/tools/go-template/release/v0.4.5/bin/linux/amd64/go-template"
    public static let defaultDockerCLIImage = "docker.io/library/docker:26.0.1-cli"
    /// The entry of the static docker tgz (download.docker.com/linux/static/…/docker-26.0.1.tgz).
    public static let dockerArchiveEntry = "docker/docker"

    public static let historyComment = "samforge build"

    /// The request as a plan: layer 1 the plugin files, layer 2 (when any tool is installed)
    /// go-template and the docker CLI; ENV, ENTRYPOINT (clearing Cmd) and `created`.
    public static func plan(for request: SAMBuildRequest) -> ImagePlan {
        var layers = [pluginLayer(request.plugin)]
        if let tools = toolsLayer(goTemplate: request.goTemplate, dockerCLI: request.dockerCLI) { layers.append(tools) }
        return ImagePlan(layers: layers, changes: configChanges(), mtime: request.sourceDateEpoch ?? 0, created: request.created)
    }

    /// Config edits of the recipe: ENV in order, ENTRYPOINT (clearing Cmd).
    public static func configChanges() -> ConfigChanges {
        ConfigChanges(env: env, entrypoint: entrypoint)
    }

    /// `mkdir -m 777 -p /opt/harness/{bin,scripts,client-tools}`, `COPY --from=plugin` of the
    /// binary and the scripts tree, `chmod +x` on the binary and sam-plugin.sh. The open
    /// directories come after the copied tree, so the scripts directory's own mode does not win.
    static func pluginLayer(_ plugin: ImageLocation) -> ImagePlan.Layer {
        let operations: [ImagePlan.Operation] = [
            .directory("/opt", mode: 0o755), .directory("/opt/harness", mode: 0o755),
            .copy(ImagePlan.ImageCopy(plugin, pluginBinary, executables: [pluginBinary], role: "plugin image")),
            .copy(ImagePlan.ImageCopy(plugin, scriptsDirectory, executables: [entrypointScript], role: "plugin image")),
        ] + openDirectories.map { .directory($0, mode: 0o777) }
        let history: [ImagePlan.HistoryPart] = [
            .text("COPY --from="), .imageID(of: plugin),
            .text(" \(pluginBinary) \(scriptsDirectory) (mkdir -m 777 \(openDirectories.joined(separator: " ")); chmod +x harness-sam-plugin sam-plugin.sh) # samforge"),
        ]
        return ImagePlan.Layer(operations: operations, history: history, comment: historyComment, label: "plugin files")
    }

    /// go-template and `/usr/local/bin/docker`, both 0755; nil when neither is installed.
    /// Identical for every plugin version and runtime, so with a fixed SOURCE_DATE_EPOCH this
    /// blob is pushed once per registry and skipped by every later build.
    static func toolsLayer(goTemplate: FileInput?, dockerCLI: DockerCLISource?) -> ImagePlan.Layer? {
        var operations: [ImagePlan.Operation] = []
        var steps: [[ImagePlan.HistoryPart]] = []
        if let goTemplate {
            operations += [.directory("/opt", mode: 0o755), .directory("/opt/harness", mode: 0o755), .directory("/opt/harness/client-tools", mode: 0o777),
                           .file(ImagePlan.FileCopy(goTemplate, to: goTemplatePath, mode: 0o755, role: "go-template"))]
            steps.append([.text("ADD \(goTemplate.name) \(goTemplatePath)")])
        }
        if let dockerCLI {
            operations += ["/usr", "/usr/local", "/usr/local/bin"].map { .directory($0, mode: 0o755) }
            switch dockerCLI {
            case .image(let image):
                operations.append(.copy(ImagePlan.ImageCopy(image, dockerPath, executables: [dockerPath], role: "docker CLI image")))
                steps.append([.text("COPY --from="), .imageID(of: image), .text(" \(dockerPath) \(dockerPath)")])
            case .file(let input):
                operations.append(.file(ImagePlan.FileCopy(input, to: dockerPath, mode: 0o755, archiveEntry: dockerArchiveEntry, role: "docker CLI file")))
                steps.append([.text("ADD \(input.name) \(dockerPath)")])
            }
        }
        guard !operations.isEmpty else { return nil }
        let history = steps.enumerated().flatMap { index, step in index == 0 ? step : [.text(" && ")] + step } + [.text(" (chmod 755) # samforge")]
        return ImagePlan.Layer(operations: operations, history: history, comment: historyComment, label: "client tools")
    }

    /// The base config with the recipe applied and layers appended (diff_id and history each),
    /// encoded canonically. Pure: the unit tests' view of what `build` pushes as config.
    public static func composeConfig(base: [UInt8], layers: [(diffID: Digest, createdBy: String)], created: String) throws -> [UInt8] {
        let appended = layers.map {
            NewLayer(digest: $0.diffID, diffID: $0.diffID, size: 0, path: "",
                     history: ImageConfig.History(created_by: $0.createdBy, comment: historyComment))
        }
        var changes = configChanges()
        changes.created = created
        return try ImageComposer.editConfig(base, adding: appended, changes: changes)
    }
}
