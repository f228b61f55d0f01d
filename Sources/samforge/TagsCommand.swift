import ArgumentParser
import Assembly
import OCI
import Registry

struct TagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags",
        abstract: "List the tags of a registry repository.",
        usage: "samforge tags [<options>] <repository>",
        discussion: """
        Prints one tag per line in the registry's order, following its Link pagination.
        Examples:
          samforge tags public.ecr.aws/sam/build-python3.12
          samforge tags --json registry.example.com/team/app
        """
    )

    @Argument(help: "The repository: HOST/PATH, without a tag.") var repository: String
    @Flag(help: "Print one JSON array instead.") var json = false
    /// Tags asked for per page; hidden, for tests that exercise pagination.
    @Option(name: .customLong("page-size"), help: .hidden) var pageSize = 1000
    @OptionGroup var registry: RegistryFlags

    func run() async throws {
        let location = try ImageLocation(parsing: repository)
        guard case .registry(let reference) = location else { throw Self.notARegistry(location) }
        guard !CopyCommand.namesTagOrDigest(repository) else {
            throw UsageError("tags takes a repository without a tag or digest (e.g. \(reference.repositoryName))")
        }
        guard pageSize >= 1 else { throw UsageError("--page-size must be at least 1") }
        let client = registry.makeClient()
        let tags: [String]
        do { tags = try await client.listTags(Repository(reference), pageSize: pageSize) } catch let error as RegistryError where error.namesOnlyTheHost {
            throw StepError(reference.repositoryName, error)
        }
        if json { try Output.json(tags) } else { tags.forEach(Output.line) }
    }

    /// What to type instead, for a local location: its names are in a file there.
    static func notARegistry(_ location: ImageLocation) -> UsageError {
        switch location {
        case .ociLayout(let directory, _):
            return UsageError("tags lists a registry repository; the names in the OCI layout \(escapedForMessage(directory)) are its index.json's ref.name annotations: jq -r '.manifests[].annotations[\"org.opencontainers.image.ref.name\"] // empty' \(escapedForMessage(directory))/index.json")
        case .dockerArchive(let file, _):
            return UsageError("tags lists a registry repository; the names in the docker archive \(escapedForMessage(file)) are its RepoTags: tar -xOf \(escapedForMessage(file)) manifest.json | jq -r '.[].RepoTags[]'")
        default:
            return UsageError("tags lists a registry repository (HOST/PATH), not \(location)")
        }
    }
}
