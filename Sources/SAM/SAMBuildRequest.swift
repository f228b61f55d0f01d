import Assembly
import Build
import Foundation
import Layers
import OCI
import Registry

/// `samforge build`'s options as given (nil = not given); the CLI fills this in.
public struct SAMBuildOptions: Sendable {
    public var samBaseImage: String?
    public var pluginImage: String?
    public var version: String?
    public var targetRepo: String?
    public var goTemplate: String?
    public var noGoTemplate = false
    public var dockerCLIImage: String?
    public var dockerCLIFile: String?
    public var noDockerCLI = false
    public var timestampTag = false
    public var platform: String?
    /// `--created`: `now` or an RFC 3339 time (default: the base image's own `created`).
    public var created: String?
    /// How messages name the four inputs when they are given here rather than by the
    /// environment: the flags, or a matrix entry's keys.
    public var names = Names()
    /// The clock, for `--created now` and the timestamp tag.
    public var now = Int64(Date().timeIntervalSince1970)

    public init() {}

    public struct Names: Sendable {
        public var samBaseImage = "--sam-base-image", pluginImage = "--plugin-image", version = "--version", targetRepo = "--target-repo"
        public init() {}
    }
}

/// Where `/usr/local/bin/docker` comes from.
public enum DockerCLISource: Sendable, Equatable {
    /// That path in an image's linux/amd64 filesystem (any location).
    case image(ImageLocation)
    /// A binary, or a (gzip) tar holding `docker/docker` such as the static docker-26.0.1.tgz.
    case file(FileInput)
}

/// Everything a build needs, validated: built before any network traffic, so every input
/// problem is reported (exit 2) without a single request.
public struct SAMBuildRequest: Sendable {
    public let base: SAMBaseReference
    /// Any location: a registry reference, an `oci:` layout, a docker archive.
    public let plugin: ImageLocation
    /// The plugin reference as given (for messages).
    public let pluginText: String
    public let version: String
    public let target: TargetRepository
    /// nil: not installed (`--no-go-template`, or the environment says so).
    public let goTemplate: FileInput?
    /// nil: `--no-docker-cli`.
    public let dockerCLI: DockerCLISource?
    public let timestampTag: Bool
    /// SOURCE_DATE_EPOCH: layer mtimes, config `created` and TIMESTAMP; nil = mtime 0.
    public let sourceDateEpoch: Int64?
    /// The config's `created`: SOURCE_DATE_EPOCH, else `--created now`, else the base's own.
    public let created: ImagePlan.Created
    public let platform = Platform.linuxAMD64

    public var primaryTag: String { SAMTags.primary(version: version, runtime: base.runtime, samVersion: base.samVersion) }

    /// Flags win over the seed's variables: SAM_BASE_IMAGE, BASE_IMAGE then SCRATCH_IMAGE,
    /// VERSION, TARGET_REPO. Empty values count as unset. Throws `SAMInputError`, or
    /// `SAMBaseReference.RejectionError` for a base the grammar refuses.
    public init(options: SAMBuildOptions, environment: [String: String]) throws {
        /// The value and the name messages give it: the flag's (or entry key's), else the variable's.
        func value(_ flag: String?, _ flagName: String, _ variables: String...) -> (text: String, name: String)? {
            if let flag, !flag.isEmpty { return (flag, flagName) }
            return variables.lazy.compactMap { name in environment[name].map { ($0, name) } }.first { !$0.0.isEmpty }
        }
        if options.noGoTemplate && options.goTemplate != nil {
            throw SAMInputError("--go-template and --no-go-template cannot be used together")
        }
        let dockerChoices = [options.dockerCLIImage != nil, options.dockerCLIFile != nil, options.noDockerCLI].filter { $0 }.count
        if dockerChoices > 1 {
            throw SAMInputError("choose one of --docker-cli-image, --docker-cli-file and --no-docker-cli")
        }
        if let platform = options.platform {
            let parsed: Platform
            do { parsed = try Platform(parsing: platform) } catch { throw SAMInputError("--platform: \(error.description)") }
            guard parsed.os == "linux", parsed.architecture == "amd64", parsed.variant == nil || parsed.variant == "v1" else {
                throw SAMInputError("--platform \(platform): the SAM plugin image is built for linux/amd64 only")
            }
        }

        let names = options.names
        let baseText = value(options.samBaseImage, names.samBaseImage, "SAM_BASE_IMAGE")
        let pluginText = value(options.pluginImage, names.pluginImage, "BASE_IMAGE", "SCRATCH_IMAGE")
        let version = value(options.version, names.version, "VERSION")
        let targetText = value(options.targetRepo, names.targetRepo, "TARGET_REPO")
        let missing = [
            baseText == nil ? "--sam-base-image (or SAM_BASE_IMAGE)" : nil,
            pluginText == nil ? "--plugin-image (or BASE_IMAGE / SCRATCH_IMAGE)" : nil,
            version == nil ? "--version (or VERSION)" : nil,
            targetText == nil ? "--target-repo (or TARGET_REPO)" : nil,
        ].compactMap { $0 }
        guard missing.isEmpty, let baseText, let pluginText, let version, let targetText else {
            throw SAMInputError("missing " + missing.joined(separator: ", "))
        }

        do { base = try SAMBaseReference(parsing: baseText.text) } catch { throw error.named(baseText.name) }
        do { plugin = try ImageLocation(parsing: pluginText.text) } catch { throw SAMInputError("\(pluginText.name): \(error.description)") }
        if plugin == .scratch { throw SAMInputError("\(pluginText.name) scratch: the plugin image must hold \(SAMRecipe.pluginBinary)") }
        self.pluginText = pluginText.text
        try SAMTags.validateVersion(version.text, runtime: base.runtime, samVersion: base.samVersion, name: version.name)
        self.version = version.text
        target = try TargetRepository(parsing: targetText.text, name: targetText.name)

        if options.noGoTemplate {
            goTemplate = nil
        } else if let explicit = options.goTemplate {
            goTemplate = try Self.input(explicit, option: "--go-template")
        } else if Self.environmentSkipsGoTemplate(environment) {
            goTemplate = nil
        } else {
            goTemplate = .url(SAMRecipe.defaultGoTemplateURL)
        }

        if options.noDockerCLI {
            dockerCLI = nil
        } else if let file = options.dockerCLIFile {
            dockerCLI = .file(try Self.input(file, option: "--docker-cli-file"))
        } else {
            let text = options.dockerCLIImage ?? SAMRecipe.defaultDockerCLIImage
            do { dockerCLI = .image(try ImageLocation(parsing: text)) } catch { throw SAMInputError("--docker-cli-image: \(error.description)") }
        }

        timestampTag = options.timestampTag
        let epochGiven = !(environment["SOURCE_DATE_EPOCH"] ?? "").isEmpty
        do {
            let mtime = try LayerWriter.mtime(fromEnvironment: environment)
            sourceDateEpoch = epochGiven ? mtime : nil
        } catch {
            throw SAMInputError(String(describing: error))
        }
        do { created = try ImagePlan.Created(option: options.created, epoch: sourceDateEpoch, now: options.now) } catch {
            throw SAMInputError(error.description)
        }
    }

    /// The build's inputs as the provenance records them (never credentials).
    public var parameters: [String: String] {
        var parameters = ["sam-base-image": base.location.description, "plugin-image": plugin.description,
                          "version": version, "target-repo": target.text, "platform": platform.description]
        if let goTemplate { parameters["go-template"] = goTemplate.description }
        switch dockerCLI {
        case .image(let image)?: parameters["docker-cli-image"] = image.description
        case .file(let input)?: parameters["docker-cli-file"] = input.description
        case nil: break
        }
        if timestampTag { parameters["timestamp-tag"] = "true" }
        if let sourceDateEpoch { parameters["source-date-epoch"] = String(sourceDateEpoch) }
        return parameters
    }

    static func input(_ text: String, option: String) throws(SAMInputError) -> FileInput {
        do { return try FileInput(parsing: text, option: option) } catch { throw SAMInputError(error.description) }
    }

    /// The seed's condition, read from the caller's environment: go-template is installed unless
    /// INSTALL_GO_TEMPLATE_BINARY is set to something other than "true" or UNIFIED_PIPELINE is
    /// "true". Unset INSTALL_GO_TEMPLATE_BINARY means install (the Dockerfile's own ENV value).
    public static func environmentSkipsGoTemplate(_ environment: [String: String]) -> Bool {
        if let install = environment["INSTALL_GO_TEMPLATE_BINARY"], !install.isEmpty, install != "true" { return true }
        return environment["UNIFIED_PIPELINE"] == "true"
    }
}
