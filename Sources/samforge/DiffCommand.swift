import ArgumentParser
import Assembly
import Foundation
import Layers
import OCI

/// `samforge diff A B`: what changed between two images (two SAM base versions, a base and an
/// append result), from any two locations.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two images: config, layers and files.",
        usage: "samforge diff [<options>] <a> <b>",
        discussion: """
        The config fields (Env, Entrypoint, Cmd, WorkingDir, User, Labels) are shown with \
        a's value next to b's, and the layers as shared, only in a, or only in b.
        With --files, the merged filesystems are compared path by path from the layers' \
        tar headers, streamed and never unpacked: added, removed, and changed in type, \
        size, mode, owner or link target.
        An index is compared through one platform: --platform, else linux/amd64, else \
        its only one.
        Examples:
          samforge diff public.ecr.aws/sam/build-python3.12:1.142.0 \\
              public.ecr.aws/sam/build-python3.12:1.143.0
          samforge diff --files --json oci:./base:1 registry.example.com/team/app:1
        """
    )

    @Argument(help: ArgumentHelp("The first image: any location.", valueName: "a")) var a: String
    @Argument(help: ArgumentHelp("The second image: any location.", valueName: "b")) var b: String
    @Option(help: ArgumentHelp("An index's platform to compare (default linux/amd64).", valueName: "os/arch[/variant]"))
    var platform: String?
    @Flag(help: "Compare the files too (reads every layer of both).") var files = false
    @Flag(help: "Print one JSON object instead.") var json = false
    @OptionGroup var registry: RegistryFlags

    func run() async throws {
        let locationA = try ImageLocation(parsing: a), locationB = try ImageLocation(parsing: b)
        let wanted = try platform.map(platformOption)
        let client = registry.makeClient()
        let sourceA = try locationA.openSource(client: client, platform: wanted ?? .linuxAMD64)
        let sourceB = try locationB.openSource(client: client, platform: wanted ?? .linuxAMD64)
        async let resolvedA = ResolvedImage.resolve(sourceA, preferring: wanted)
        async let resolvedB = ResolvedImage.resolve(sourceB, preferring: wanted)
        let imageA = try await resolvedA, imageB = try await resolvedB
        var diff = ImageDiff(a: Self.side(locationA, imageA), b: Self.side(locationB, imageB), imageA: imageA, imageB: imageB)
        if files {
            let status = StatusLine.onTerminal(unless: false)
            defer { status?.finish() }
            let listingA = try await Self.listing(imageA, source: sourceA, name: "a", status: status)
            let listingB = try await Self.listing(imageB, source: sourceB, name: "b", status: status)
            diff.files = FilesDiff(a: listingA, b: listingB)
        }
        if json { try Output.json(diff) } else { Output.line(diff.humanView()) }
    }

    static func side(_ location: ImageLocation, _ image: ResolvedImage) -> ImageDiff.Side {
        ImageDiff.Side(reference: location.description, digest: image.root.digest, manifestDigest: image.manifest.digest,
                       platform: image.config.platform?.description)
    }

    /// The merged filesystem of one image, its layers streamed one after another.
    static func listing(_ image: ResolvedImage, source: ImageSource, name: String, status: StatusLine?) async throws -> [MergedFilesystem.Item] {
        let count = image.image.layers.count
        return try await step("\(name): files") {
            try await LayerListing.merged(image.image.layers, from: source) { index in
                status?.show("reading the files of \(name): layer \(index + 1) of \(count)")
            }
        }
    }
}
