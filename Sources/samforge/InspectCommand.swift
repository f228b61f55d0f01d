import ArgumentParser
import Assembly
import Foundation
import OCI

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an image's platforms, config and layers, or a layer's files.",
        usage: "samforge inspect [<options>] <location>",
        discussion: """
        LOCATION is a registry reference, oci:DIR[:TAG] or docker-archive:FILE[:REF].
        An index is shown through one platform: --platform, else linux/amd64, else its \
        only one.
        For a SAM build image, the Amazon Linux generation comes from /etc/os-release, \
        read from the bottom layer only as far as needed.
        Examples:
          samforge inspect public.ecr.aws/sam/build-nodejs18.x:1.143.0
          samforge inspect --json --platform linux/arm64 \\
              public.ecr.aws/sam/build-python3.12:1.143.0
          samforge inspect --files 2 oci:./layout:1.0
          samforge inspect --files all docker-archive:image.tar
        """
    )

    @Argument(help: "The image to inspect.") var location: String
    @Option(help: ArgumentHelp("An index's platform to show (default linux/amd64).", valueName: "os/arch[/variant]"))
    var platform: String?
    @Flag(help: "Print one JSON object instead of the summary.") var json = false
    @Flag(help: "Print the manifest as stored (with --platform, the chosen one's).") var raw = false
    @Flag(help: "Print the image config as stored.") var config = false
    @Option(help: ArgumentHelp("List a layer's files (N: 1 to 3 digits, from 0 at the bottom; or 4 or more hex digits of its digest), or all: the merged filesystem.", valueName: "N|DIGEST|all"))
    var files: String?
    @Flag(help: "Show the referrers: SBOM, provenance, signatures.") var referrers = false
    @Flag(inversion: .prefixedNo, help: "Read /etc/os-release (default: SAM build images only).")
    var osRelease: Bool?
    @OptionGroup var registry: RegistryFlags

    func run() async throws {
        let parsed = try ImageLocation(parsing: location)
        let wanted = try platform.map(platformOption)
        try checkViews()
        let source = try parsed.openSource(client: registry.makeClient(), platform: wanted ?? .linuxAMD64)

        if referrers {
            let view = try await ReferrersView.load(source)
            if json { try Output.json(view) } else { Output.line(view.humanView()) }
            return
        }
        if raw && wanted == nil {
            let root = try await source.rootManifest()
            Output.bytes(root.bytes)
            return
        }
        let inspection = try await ResolvedImage.resolve(source, preferring: wanted)
        if raw { Output.bytes(inspection.manifest.bytes); return }
        if config { Output.bytes(inspection.configBytes); return }

        var report = InspectReport(location: parsed, inspection: inspection, name: try await imageName(parsed, source: source))
        let selector = try files.map { try LayerSelector(parsing: $0, layers: inspection.image.layers) }
        if osRelease ?? (report.sam != nil && (selector == nil || json)) {
            await probeOSRelease(inspection, source: source, into: &report)
        }
        if let selector {
            // Layer errors name the layer, not the image: the location does.
            let view = try await step(parsed.description) {
                try await FilesLister.list(selector, image: inspection.image, diffIDs: inspection.config.rootfs?.diff_ids ?? [],
                                           source: source, collect: json)
            }
            if json {
                report.files = view
                try Output.json(report)
            }
            return
        }
        if json { try Output.json(report) } else { Output.line(report.humanSummary()) }
    }

    /// --raw and --config print bytes: they combine with nothing that prints something else.
    func checkViews() throws {
        if raw && config { throw UsageError("--raw and --config print different documents; pick one") }
        if referrers && (raw || config || files != nil) { throw UsageError("--referrers lists the image's referrers; it combines only with --json") }
        if (raw || config) && json { throw UsageError("--\(raw ? "raw" : "config") prints the stored bytes; it cannot be combined with --json") }
        if (raw || config) && files != nil { throw UsageError("--files cannot be combined with --\(raw ? "raw" : "config")") }
    }

    /// The location's own reference, else the name a docker archive gives its image.
    func imageName(_ location: ImageLocation, source: ImageSource) async throws -> Reference? {
        if let named = location.namedReference { return named }
        guard let archive = source as? DockerArchiveSource else { return nil }
        return try await archive.repoTags().lazy.compactMap { try? Reference(parsing: $0) }.first
    }

    /// Best effort: an image without os-release, or a layer that cannot be read, only costs the line.
    func probeOSRelease(_ inspection: ResolvedImage, source: ImageSource, into report: inout InspectReport) async {
        do {
            if let release = try await OSRelease.detect(layers: inspection.image.layers, diffIDs: inspection.config.rootfs?.diff_ids,
                                                        from: source) { report.add(release) }
        } catch {
            Output.warning("cannot read /etc/os-release: \(oneLine(error))")
        }
    }
}
