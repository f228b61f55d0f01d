import Assembly
import OCI

/// The seed's Dockerfile, as data: what the SAM plugin image adds on top of its base.
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

    /// Config edits of the recipe: ENV in order, ENTRYPOINT (clearing Cmd), `created`.
    public static func configChanges(created: String) -> ConfigChanges {
        ConfigChanges(env: env, entrypoint: entrypoint, created: created)
    }

    /// The base config with the recipe applied and layers appended (diff_id and history each),
    /// encoded canonically. Pure: the unit tests' view of what `build` pushes as config.
    public static func composeConfig(base: [UInt8], layers: [(diffID: Digest, createdBy: String)], created: String) throws -> [UInt8] {
        let appended = layers.map {
            NewLayer(digest: $0.diffID, diffID: $0.diffID, size: 0, path: "",
                     history: ImageConfig.History(created_by: $0.createdBy, comment: historyComment))
        }
        return try ImageComposer.editConfig(base, adding: appended, changes: configChanges(created: created))
    }
}
