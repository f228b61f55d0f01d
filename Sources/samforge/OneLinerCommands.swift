import ArgumentParser
import Assembly
import OCI

/// `samforge digest|manifest|config LOCATION`, as crane's one-liners: what a script needs from
/// an image, from any location, with nothing around it.
struct LocationArguments: ParsableArguments {
    @Argument(help: "Registry reference, oci:DIR or docker-archive:FILE.") var location: String
    @Option(help: ArgumentHelp("Pick this platform of an index.", valueName: "os/arch[/variant]")) var platform: String?
    @OptionGroup var registry: RegistryFlags

    func open() throws -> (source: ImageSource, platform: Platform?) {
        let parsed = try ImageLocation(parsing: location)
        let wanted = try platform.map(platformOption)
        return (try parsed.openSource(client: registry.makeClient(), platform: wanted ?? .linuxAMD64), wanted)
    }

    /// What the location names, or with --platform the manifest of that platform.
    func manifest() async throws -> RawManifest {
        let (source, wanted) = try open()
        guard let wanted else { return try await source.rootManifest() }
        return try await ResolvedImage.resolve(source, preferring: wanted).manifest
    }
}

struct DigestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest",
        abstract: "Print the digest of what a location names.",
        usage: "samforge digest [<options>] <location>",
        discussion: """
        For an index, the index's digest; with --platform, that platform's manifest's.
        A docker archive stores no manifest: its digest is that of the manifest samforge \
        rebuilds around the unchanged config and layers.
        Examples:
          samforge digest public.ecr.aws/sam/build-python3.12:1.143.0
          samforge digest --platform linux/arm64 oci:./layout:1.0
        """
    )

    @OptionGroup var target: LocationArguments

    func run() async throws {
        Output.line(try await target.manifest().digest.description)
    }
}

struct ManifestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Print a location's manifest or index, byte for byte.",
        usage: "samforge manifest [<options>] <location>",
        discussion: """
        The bytes are those the digest is computed from, so the output hashes to it.
        With --platform, an index's child for that platform is printed instead.
        Examples:
          samforge manifest public.ecr.aws/sam/build-python3.12:1.143.0 | sha256sum
          samforge manifest --platform linux/amd64 docker-archive:image.tar
        """
    )

    @OptionGroup var target: LocationArguments

    func run() async throws {
        Output.bytes(try await target.manifest().bytes)
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the image config of a location, byte for byte.",
        usage: "samforge config [<options>] <location>",
        discussion: """
        An index is read through one platform: --platform, else linux/amd64, else its \
        only one.
        Examples:
          samforge config public.ecr.aws/sam/build-python3.12:1.143.0 | jq .config.Env
          samforge config --platform linux/arm64 oci:./layout:1.0
        """
    )

    @OptionGroup var target: LocationArguments

    func run() async throws {
        let (source, wanted) = try target.open()
        Output.bytes(try await ResolvedImage.resolve(source, preferring: wanted).configBytes)
    }
}
