import ArgumentParser

// Help texts, for every command: one sentence per line and no blank lines, ASCII only, and
// example lines of at most 78 columns. argument-parser wraps each line to the terminal on its
// own, and `swift package generate-manual` copies the text into mdoc, where a blank line or a
// sentence ending mid-line is a warning and a non-ASCII character is dropped.
// Tests/CLITests/HelpLayoutTests.swift checks every command at 80 columns and the man page.

struct Samforge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samforge",
        abstract: "Assemble, copy and inspect container images without a Docker daemon.",
        // --version is answered by ArgumentShape before parsing: a root flag would be taken for
        // build's own --version V, and argument-parser's `version:` would add it to every command.
        usage: """
        samforge [<registry options>] <command> [<options>] [<arguments>]
        samforge --version
        """,
        discussion: """
        It speaks the registry protocol itself: no daemon, no root, no privileged pod.
        The registry options (--insecure, --insecure-registry, --ca-file, --timeout, \
        --retry-times, --max-requests-per-second, --verbose) may come before the command \
        name as well as after it.
        samforge --version prints the version.
        Examples:
          samforge inspect public.ecr.aws/sam/build-nodejs18.x:1.143.0
          samforge copy docker.io/library/alpine:3.20 oci:./alpine:3.20
          samforge diff public.ecr.aws/sam/build-python3.12:1.142.0 \\
              public.ecr.aws/sam/build-python3.12:1.143.0
          samforge build --sam-base-image public.ecr.aws/sam/build-python3.12:1.143.0 \\
              --plugin-image harness/aws-sam-plugin:1.1.2-beta-base-image \\
              --version 1.1.2 --target-repo registry.example.com/aws-sam-plugin
          echo "$TOKEN" | samforge login -u ci --password-stdin registry.example.com
        """,
        subcommands: [BuildCommand.self, AppendCommand.self, CopyCommand.self, InspectCommand.self, DiffCommand.self, DigestCommand.self,
                      ManifestCommand.self, ConfigCommand.self, BlobCommand.self, TagsCommand.self, SignCommand.self, VerifyCommand.self,
                      GenerateKeyPairCommand.self, LoginCommand.self, LogoutCommand.self,
                      PipelineCommand.self, VersionCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print samforge's version (as samforge --version does).")
    static let current = "0.1.0"
    func run() { print(Self.current) }
}
