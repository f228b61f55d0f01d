import ArgumentParser
import Assembly
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
    @Option(name: .customLong("target-repo"), help: ArgumentHelp("Registry repository to push to (TARGET_REPO).", valueName: "REPO"))
    var targetRepo: String?
    @Option(name: .customLong("image"), help: ArgumentHelp("The samforge image that each step or pod runs.", valueName: "REF"))
    var image = HarnessPipeline.defaultImageRepository + ":" + VersionCommand.current
    @Option(help: ArgumentHelp("Non-root uid the container runs as.", valueName: "UID"))
    var uid = 65532

    /// The matrix the flags give, with every entry checked as `build` checks it (SAM grammar,
    /// VERSION, references, one tag per image); nil when neither flag is given.
    func buildMatrix() throws -> BuildMatrix? {
        if let pluginImage { try Self.checkRemote(pluginImage, name: "--plugin-image") }
        if let targetRepo { try checkTarget(targetRepo, name: "--target-repo") }
        do { _ = try Reference(parsing: image) } catch { throw UsageError("--image \(image): \(error.description)") }
        if let version {
            // The tag's length depends on the runtime: each entry checks it below.
            do { try SAMTags.validateVersion(version, runtime: "", samVersion: "", name: "--version") } catch { throw UsageError(error.description) }
        }
        if matrixFile != nil && !samBaseImage.isEmpty {
            throw UsageError("give the base images with --sam-base-image or with --matrix, not both")
        }
        let matrix: BuildMatrix
        if let matrixFile {
            do { matrix = try BuildMatrix.load(path: matrixFile) } catch { throw UsageError("--matrix \(error.message)") }
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
        // A matrix file's values are named by entry and key, the flags' by the flag.
        let fromFile = matrixFile != nil
        for (index, entry) in matrix.entries.enumerated() {
            func name(_ key: String) -> String { "\(matrix.label(index)): \(key)" }
            let baseName = fromFile ? name("sam-base-image") : "--sam-base-image"
            let base: SAMBaseReference
            do { base = try SAMBaseReference(parsing: entry.samBaseImage) } catch { throw error.named(baseName) }
            try Self.checkRemote(entry.samBaseImage, name: baseName)
            if let plugin = entry.pluginImage { try Self.checkRemote(plugin, name: name("plugin-image")) }
            if let target = entry.targetRepo { try checkTarget(target, name: name("target-repo")) }
            if let version = entry.version ?? self.version {
                do {
                    try SAMTags.validateVersion(version, runtime: base.runtime, samVersion: base.samVersion,
                                                name: entry.version == nil ? "--version" : name("version"))
                } catch { throw UsageError(error.description) }
            }
            // Same runtime and SAM version with the same version and target: the same tag twice.
            let tag = [entry.targetRepo ?? targetRepo ?? "TARGET_REPO",
                       SAMTags.primary(version: entry.version ?? version ?? "VERSION", runtime: base.runtime, samVersion: base.samVersion)]
                .joined(separator: ":")
            if let earlier = tags[tag] {
                throw UsageError("\(matrix.label(earlier)) and \(matrix.label(index)) would both push \(tag): one base per runtime and SAM version")
            }
            tags[tag] = index
        }
    }

    /// An image a step or pod reads: a registry reference (a pod sees no local oci: layout or
    /// archive of this machine).
    static func checkRemote(_ text: String, name: String) throws {
        let location: ImageLocation
        do { location = try ImageLocation(parsing: text) } catch { throw UsageError("\(name): \(error.description)") }
        guard location.registryReference != nil else {
            throw UsageError("\(name) \(text): a step or pod cannot read this machine's files; give a registry reference (samforge copy puts a local image in a registry)")
        }
    }

    /// Where the images go: a registry repository. An oci: layout or docker archive would be
    /// written inside the step's or pod's container and lost when it ends.
    func checkTarget(_ text: String, name: String) throws {
        let target: TargetRepository
        do { target = try TargetRepository(parsing: text, name: name) } catch { throw UsageError(error.description) }
        guard target.reference != nil else {
            throw UsageError("\(name) \(text): the step or pod writes it inside its container, which is gone when it ends; give a registry repository")
        }
    }
}
