import Assembly
import Foundation
import OCI
import SAM

/// The `inspect --json` document and the human summary drawn from it. Field names are a
/// contract (README documents them); new fields are only ever added.
struct InspectReport: Encodable {
    struct PlatformEntry: Encodable { var digest: Digest; var os: String?; var architecture: String?; var variant: String? }
    struct Layer: Encodable {
        var index: Int
        var digest: Digest
        var size: Int64
        var mediaType: String
        var diffID: Digest?
        var createdBy: String?
    }
    struct SAMInfo: Encodable {
        var runtime: String
        var version: String
        /// "2" or "2023", from the image's os-release.
        var amazonLinux: String?
        var packageManagers: [String]?
    }
    struct OSReleaseInfo: Encodable {
        var id: String?
        var versionID: String?
        var name: String?
        var prettyName: String?
        var layer: Int
    }

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
    var osRelease: OSReleaseInfo?
    var files: FilesView?

    /// - Parameter name: the image's name when the location has one (a registry reference, a
    ///   docker archive's REF or RepoTag), to recognize SAM build images.
    init(location: ImageLocation, inspection: ResolvedImage, name: Reference? = nil) {
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
        config = (try? UntrustedJSON.decode(JSONValue.self, from: inspection.configBytes))?["config"]
        let history = inspection.layerHistory
        let diffIDs = inspection.config.rootfs?.diff_ids ?? []
        layers = inspection.image.layers.enumerated().map { index, layer in
            Layer(index: index, digest: layer.digest, size: layer.size, mediaType: layer.mediaType,
                  diffID: index < diffIDs.count ? diffIDs[index] : nil, createdBy: history[index]?.created_by)
        }
        if let named = name ?? location.namedReference, let sam = SAMBaseReference.recognize(named) {
            self.sam = SAMInfo(runtime: sam.runtime, version: sam.version)
        }
    }

    /// Adds what os-release says, and for a SAM image its Amazon Linux generation.
    mutating func add(_ release: OSRelease) {
        osRelease = OSReleaseInfo(id: release.id, versionID: release.versionID, name: release.name,
                                  prettyName: release.prettyName, layer: release.layer)
        sam?.amazonLinux = release.amazonLinuxGeneration
        sam?.packageManagers = release.packageManagers
    }

    /// The human view. Everything in it that an image or a registry says (config values,
    /// platforms, media types, history, os-release) is escaped for the terminal
    /// (`escapedForMessage`): an ESC sequence or a newline in a label can neither drive the
    /// terminal nor forge a line. `--json` carries the values as they are (JSON escapes them).
    func humanSummary() -> String {
        var lines: [String] = []
        func field(_ name: String, _ value: String) {
            lines.append((name + ":").padding(toLength: 14, withPad: " ", startingAt: 0) + escapedForMessage(value))
        }
        field("Reference", reference)
        field("Digest", digest.description)
        field("Media type", mediaType)
        if let platforms {
            lines.append("Platforms:")
            // The digests in one column, whatever the platform names' lengths.
            let names = platforms.map { entry in
                let name = [entry.os, entry.architecture, entry.variant].compactMap { $0 }.joined(separator: "/")
                return name.isEmpty ? "unknown" : escapedForMessage(name)
            }
            let width = names.map(\.count).max() ?? 0
            for (name, entry) in zip(names, platforms) {
                lines.append("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(entry.digest)")
            }
            field("Manifest", manifestDigest.description)
        }
        field("Platform", [os, architecture, variant].compactMap { $0 }.joined(separator: "/"))
        if let osRelease {
            let name = osRelease.prettyName ?? [osRelease.name, osRelease.versionID].compactMap { $0 }.joined(separator: " ")
            field("OS", "\(name) (/etc/os-release in layer \(osRelease.layer))")
        }
        if let sam {
            var text = "runtime \(sam.runtime), SAM CLI \(sam.version)"
            if let generation = sam.amazonLinux {
                text += ", Amazon Linux \(generation)"
                if let managers = sam.packageManagers { text += " (\(managers.joined(separator: ", ")))" }
            }
            field("SAM", text)
        }
        if let created { field("Created", created) }
        if let config = config?.objectValue {
            if let env = config["Env"]?.arrayValue, !env.isEmpty {
                lines.append("Env:")
                for entry in env { lines.append("  \(escapedForMessage(entry.stringValue ?? ""))") }
            }
            lines.append("Entrypoint:   " + render(config["Entrypoint"]))
            lines.append("Cmd:          " + render(config["Cmd"]))
            if let dir = config["WorkingDir"]?.stringValue, !dir.isEmpty { field("WorkingDir", dir) }
            if let user = config["User"]?.stringValue, !user.isEmpty { field("User", user) }
            if let labels = config["Labels"]?.objectValue, !labels.isEmpty {
                lines.append("Labels:")
                for key in labels.keys.sorted() { lines.append("  " + escapedForMessage("\(key)=\(labels[key]?.stringValue ?? "")")) }
            }
        }
        // Sizes are what the manifest claims: saturate instead of trapping on absurd ones.
        let total = layers.reduce(Int64(0)) { sum, layer in
            let (value, overflow) = sum.addingReportingOverflow(layer.size)
            return overflow ? .max : value
        }
        field("Layers", "\(layers.count) (\(humanSize(total)))")
        lines.append("  " + ["#".leftPadded(3), "DIGEST".padded(12), "SIZE".leftPadded(10), "CREATED BY"].joined(separator: "  "))
        for layer in layers {
            // Escaped first, then cut: the row stays one line of bounded length.
            var createdBy = escapedForMessage(layer.createdBy ?? "")
            if createdBy.count > 80 { createdBy = String(createdBy.prefix(79)) + "…" }
            lines.append("  " + [String(layer.index).leftPadded(3), layer.digest.short, humanSize(layer.size).leftPadded(10), createdBy]
                .joined(separator: "  ").trimmingTrailingSpaces())
        }
        return lines.joined(separator: "\n")
    }

    /// `["a", "b"]`: each item quoted as a JSON string (so a quote or comma inside one cannot
    /// pass for another item), then escaped for the terminal.
    private func render(_ value: JSONValue?) -> String {
        guard let items = value?.arrayValue else { return "(none)" }
        let quoted = items.map { item in
            "\"" + (item.stringValue ?? "").replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return escapedForMessage("[" + quoted.joined(separator: ", ") + "]")
    }
}

extension ImageLocation {
    /// The image name a location carries: the registry reference, or a docker archive's REF.
    var namedReference: Reference? {
        switch self {
        case .registry(let reference): return reference
        case .dockerArchive(_, let reference): return reference
        case .ociLayout, .scratch: return nil
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
