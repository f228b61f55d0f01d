import ArgumentParser
import Assembly
import Foundation
import OCI
import SAM

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an image's platforms, config and layers.",
        discussion: """
        LOCATION is a registry reference (default), oci:DIR[:TAG] or docker-archive:FILE[:REF].

        Examples:
          samforge inspect public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64
          samforge inspect --json --platform linux/arm64 public.ecr.aws/sam/build-python3.12:1.143.0
        """
    )

    @Argument(help: "The image to inspect.") var location: String
    @Option(help: ArgumentHelp("Platform to describe when LOCATION is an index (default linux/amd64).", valueName: "os/arch[/variant]"))
    var platform: String?
    @Flag(help: "Print one JSON object instead of the human summary.") var json = false
    @OptionGroup var registry: RegistryFlags

    func run() async throws {
        let parsed = try ImageLocation(parsing: location)
        let wanted = try platform.map { try Platform(parsing: $0) }
        let client = registry.makeClient()
        let source = try openSource(parsed, client: client)
        let inspection = try await withContext(parsed.description) {
            try await ImageInspection.load(from: source, platform: wanted)
        }
        let report = InspectReport(location: parsed, inspection: inspection)
        if json { try Output.json(report) } else { Output.line(report.humanSummary()) }
    }
}

/// The `inspect --json` document. Field names are a contract (README documents them).
struct InspectReport: Encodable {
    struct PlatformEntry: Encodable { var digest: Digest; var os: String?; var architecture: String?; var variant: String? }
    struct Layer: Encodable { var digest: Digest; var size: Int64; var mediaType: String; var createdBy: String? }
    struct SAMInfo: Encodable { var runtime: String; var version: String }

    var reference: String
    var digest: Digest
    var mediaType: String
    var platforms: [PlatformEntry]?
    var manifestDigest: Digest
    var manifestMediaType: String
    var os: String?
    var architecture: String?
    var variant: String?
    var created: String?
    var configDigest: Digest
    var config: JSONValue?
    var layers: [Layer]
    var sam: SAMInfo?

    init(location: ImageLocation, inspection: ImageInspection) {
        reference = location.description
        digest = inspection.root.digest
        mediaType = inspection.root.mediaType
        platforms = inspection.index?.manifests.map {
            PlatformEntry(digest: $0.digest, os: $0.platform?.os, architecture: $0.platform?.architecture, variant: $0.platform?.variant)
        }
        manifestDigest = inspection.manifest.digest
        manifestMediaType = inspection.manifest.mediaType
        os = inspection.config.os
        architecture = inspection.config.architecture
        variant = inspection.config.variant
        created = inspection.config.created
        configDigest = inspection.image.config.digest
        config = (try? JSONDecoder().decode(JSONValue.self, from: Data(inspection.configBytes)))?["config"]
        let history = inspection.layerHistory
        layers = inspection.image.layers.enumerated().map { index, layer in
            Layer(digest: layer.digest, size: layer.size, mediaType: layer.mediaType, createdBy: history[index]?.created_by)
        }
        if case .registry(let reference) = location, let sam = SAMBaseReference.recognize(reference) {
            self.sam = SAMInfo(runtime: sam.runtime, version: sam.version)
        }
    }

    func humanSummary() -> String {
        var lines: [String] = []
        lines.append("Reference:    \(reference)")
        lines.append("Digest:       \(digest)")
        lines.append("Media type:   \(mediaType)")
        if let platforms {
            lines.append("Platforms:")
            for entry in platforms {
                let name = [entry.os, entry.architecture, entry.variant].compactMap { $0 }.joined(separator: "/")
                lines.append("  \(name.isEmpty ? "unknown" : name)  \(entry.digest)")
            }
            lines.append("Manifest:     \(manifestDigest)")
        }
        lines.append("Platform:     \([os, architecture, variant].compactMap { $0 }.joined(separator: "/"))")
        if let sam { lines.append("SAM:          runtime \(sam.runtime), SAM CLI \(sam.version)") }
        if let created { lines.append("Created:      \(created)") }
        if let config = config?.objectValue {
            if let env = config["Env"]?.arrayValue, !env.isEmpty {
                lines.append("Env:")
                for entry in env { lines.append("  \(entry.stringValue ?? "")") }
            }
            lines.append("Entrypoint:   \(render(config["Entrypoint"]))")
            lines.append("Cmd:          \(render(config["Cmd"]))")
            if let dir = config["WorkingDir"]?.stringValue, !dir.isEmpty { lines.append("WorkingDir:   \(dir)") }
            if let user = config["User"]?.stringValue, !user.isEmpty { lines.append("User:         \(user)") }
            if let labels = config["Labels"]?.objectValue, !labels.isEmpty {
                lines.append("Labels:")
                for key in labels.keys.sorted() { lines.append("  \(key)=\(labels[key]?.stringValue ?? "")") }
            }
        }
        let total = layers.reduce(Int64(0)) { $0 + $1.size }
        lines.append("Layers:       \(layers.count) (\(humanSize(total)))")
        for (index, layer) in layers.enumerated() {
            let createdBy = layer.createdBy.map { "  " + String($0.prefix(60)) } ?? ""
            lines.append(String(format: "  %2d  %@  %10@", index, layer.digest.short, humanSize(layer.size)) + createdBy)
        }
        return lines.joined(separator: "\n")
    }

    private func render(_ value: JSONValue?) -> String {
        guard let items = value?.arrayValue else { return "(none)" }
        return "[" + items.map { "\"\($0.stringValue ?? "")\"" }.joined(separator: ", ") + "]"
    }
}
