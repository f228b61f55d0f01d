import ArgumentParser

struct Samforge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samforge",
        abstract: "Assemble, copy and inspect container images without a Docker daemon.",
        discussion: """
        samforge speaks the registry protocol itself: no daemon, no root, no privileged pod.

        Examples:
          samforge inspect public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64
          samforge copy docker.io/library/alpine:3.20 oci:./alpine:3.20
          samforge build --sam-base-image public.ecr.aws/sam/build-python3.12:1.143.0-20250822194415-x86_64 \\
                         --plugin-image harness/aws-sam-plugin:1.1.2-beta-base-image --version 1.1.2 \\
                         --target-repo registry.example.com/aws-sam-plugin
          samforge append --file ./app:/usr/local/bin/app:0755 --entrypoint /usr/local/bin/app \
                          docker.io/library/alpine:3.20 registry.example.com/team/app:1
          echo "$TOKEN" | samforge login -u ci --password-stdin registry.example.com
        """,
        subcommands: [BuildCommand.self, AppendCommand.self, CopyCommand.self, InspectCommand.self, TagsCommand.self, LoginCommand.self, LogoutCommand.self, PipelineCommand.self, VersionCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print samforge's version.")
    static let current = "0.1.0"
    func run() { print(Self.current) }
}
