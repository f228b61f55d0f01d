import ArgumentParser
import OCI
import Pipelines
import SAM

/// What both generators build: the base images (repeated --sam-base-image or --matrix FILE),
/// the build's inputs, and the samforge image that runs it.
struct PipelineInputs: ParsableArguments {
    @Option(name: .customLong("sam-base-image"), help: ArgumentHelp("A SAM base image to build on (repeatable).", valueName: "REF"))
    var samBaseImage: [String] = []
    @Option(name: .customLong("matrix"), help: ArgumentHelp("Matrix file (YAML or JSON) listing the base images.", valueName: "FILE"))
    var matrixFile: String?
    @Option(name: .customLong("version"), help: ArgumentHelp("Plugin version (VERSION).", valueName: "V"))
    var version: String?
    @Option(name: .customLong("plugin-image"), help: ArgumentHelp("Image with the plugin files (BASE_IMAGE).", valueName: "REF"))
    var pluginImage: String?
    @Option(name: .customLong("target-repo"), help: ArgumentHelp("Repository to push to (TARGET_REPO).", valueName: "REPO"))
    var targetRepo: String?
    @Option(name: .customLong("image"), help: ArgumentHelp("The samforge image that each step or pod runs.", valueName: "REF"))
    var image = HarnessPipeline.defaultImageRepository + ":" + VersionCommand.current
    @Option(help: ArgumentHelp("Non-root uid the container runs as.", valueName: "UID"))
    var uid = 65532

    /// The matrix the flags give, with every entry checked as `build` checks it (SAM grammar,
    /// VERSION, references, one tag per image); nil when neither flag is given.
    func buildMatrix() throws -> BuildMatrix? {
        if let pluginImage { try checkPluginImage(pluginImage, flag: "--plugin-image") }
        if let targetRepo { try checkTarget(targetRepo, flag: "--target-repo") }
        do { _ = try Reference(parsing: image) } catch { throw UsageError("--image \(image): \(error.description)") }
        if let version {
            // The tag's length depends on the runtime: each entry checks it below.
            do { try SAMTags.validateVersion(version, runtime: "", samVersion: "") } catch { throw UsageError(error.description) }
        }
        if matrixFile != nil && !samBaseImage.isEmpty {
            throw UsageError("give the base images with --sam-base-image or with --matrix, not both")
        }
        let matrix: BuildMatrix
        if let matrixFile {
            matrix = try BuildMatrix.load(path: matrixFile)
        } else if !samBaseImage.isEmpty {
            matrix = try BuildMatrix(bases: samBaseImage)
        } else {
            return nil
        }
        try check(matrix)
        return matrix
    }

    func check(_ matrix: BuildMatrix) throws {
        var tags: [String: Int] = [:]
        for (index, entry) in matrix.entries.enumerated() {
            let base = try SAMBaseReference(parsing: entry.samBaseImage)
            if let plugin = entry.pluginImage { try checkPluginImage(plugin, flag: "entry \(index): plugin-image") }
            if let target = entry.targetRepo { try checkTarget(target, flag: "entry \(index): target-repo") }
            let version = entry.version ?? self.version
            if let version {
                do { try SAMTags.validateVersion(version, runtime: base.runtime, samVersion: base.samVersion) } catch {
                    throw UsageError(entry.version == nil ? error.description : "entry \(index): \(error.description)")
                }
            }
            // Same runtime and SAM version with the same version and target: the same tag twice.
            let tag = [entry.targetRepo ?? targetRepo ?? "TARGET_REPO",
                       SAMTags.primary(version: version ?? "VERSION", runtime: base.runtime, samVersion: base.samVersion)]
                .joined(separator: ":")
            if let earlier = tags[tag] {
                throw UsageError("entries \(earlier) and \(index) would both push \(tag): one base per runtime and SAM version")
            }
            tags[tag] = index
        }
    }

    func checkPluginImage(_ text: String, flag: String) throws {
        do { _ = try Reference(parsing: text) } catch { throw UsageError("\(flag) \(text): \(error.description)") }
    }

    func checkTarget(_ text: String, flag: String) throws {
        do { _ = try TargetRepository(parsing: text) } catch { throw UsageError("\(flag): \(error.description)") }
    }
}
