import ArgumentParser
import Foundation
import OCI
import Registry

/// `samforge login HOST`: checks credentials against the registry, then saves them where docker
/// (and samforge) look: the host's credential helper, else docker's config.json.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check and save credentials for a registry.",
        usage: "samforge login [<options>] --username <user> <registry>",
        discussion: """
        The password comes from stdin with --password-stdin, or from a prompt on a \
        terminal; never from the command line, where other users could read it.
        The credentials are tried on the registry first, and saved only when they work: \
        with the credential helper config.json names for the host (credHelpers, else \
        credsStore), else in config.json's auths.
        config.json is $REGISTRY_AUTH_FILE when set, else $DOCKER_CONFIG/config.json, \
        else the default ~/.docker/config.json.
        Examples:
          echo "$PASSWORD" | samforge login -u ci --password-stdin registry.example.com
          aws ecr-public get-login-password | \\
              samforge login -u AWS --password-stdin public.ecr.aws
        """
    )

    @Argument(help: ArgumentHelp("The registry: HOST[:PORT] (docker.io for Docker Hub).", valueName: "registry")) var registry: String
    @Option(name: .shortAndLong, help: ArgumentHelp("The user name.", valueName: "user")) var username: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from stdin.") var passwordStdin = false
    @OptionGroup var flags: RegistryFlags

    func run() async throws {
        let host = try RegistryArgument.host(registry)
        guard let username, !username.isEmpty else { throw UsageError("login needs --username USER (or -u USER)") }
        let credentials = Credentials(username: username, password: try readPassword())
        let store = try RegistryArgument.store()
        let client = flags.makeClient(given: [host: credentials])
        let checked = try await client.checkCredentials(host: host)
        if !checked { Output.warning("\(host) asks for no credentials; saving them anyway") }
        let location = try store.save(credentials, for: host)
        Output.line("logged in to \(host) (credentials in \(location))")
    }

    func readPassword() throws -> String {
        var password: String
        if passwordStdin {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            password = String(decoding: data.prefix(64 * 1024), as: UTF8.self)
            while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
        } else if isatty(0) == 1, let typed = getpass("Password: ") {
            password = String(cString: typed)
        } else {
            throw UsageError("give the password on stdin with --password-stdin (never as an argument)")
        }
        guard !password.isEmpty else {
            // An empty pipe is a secret that did not reach the step (an unset variable, say).
            throw UsageError(passwordStdin
                ? "--password-stdin read an empty password: pipe it in, e.g. echo \"$PASSWORD\" | samforge login -u USER --password-stdin REGISTRY (is the variable set?)"
                : "the password is empty")
        }
        return password
    }
}

/// `samforge logout HOST`: removes what login saved.
struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Remove the saved credentials for a registry.",
        usage: "samforge logout <registry>"
    )

    @Argument(help: ArgumentHelp("The registry: HOST[:PORT] (docker.io for Docker Hub).", valueName: "registry")) var registry: String

    func run() throws {
        let host = try RegistryArgument.host(registry)
        let store = try RegistryArgument.store()
        if let location = try store.remove(host: host) {
            Output.line("removed credentials for \(host) from \(location)")
        } else {
            Output.line("no credentials for \(host) in \(store.path)")
        }
    }
}

/// The registry argument of login/logout, as docker takes it.
enum RegistryArgument {
    /// `https://registry.example.com/v2/` → `registry.example.com`; Docker Hub's names → its API host.
    static func host(_ argument: String) throws -> String {
        let text = argument.trimmingCharacters(in: .whitespaces)
        if let local = ["oci:", "docker-archive:"].first(where: { text.hasPrefix($0) }) {
            throw UsageError("\"\(escapedForMessage(text))\" is a local \(local == "oci:" ? "OCI layout" : "docker archive"), which needs no credentials: log in to the registry HOST[:PORT] you copy it to (e.g. samforge login registry.example.com)")
        }
        if text.lowercased().hasPrefix("docker://") {
            let bare = text.dropFirst("docker://".count)
            let host = bare.split(separator: "/").first.map(String.init) ?? String(bare)
            throw UsageError("the registry is a host, not a docker:// reference: write \(escapedForMessage(host))")
        }
        // config.json's own rule for its keys, so what login writes is what lookups find.
        var host = DockerConfigCredentials.normalize(text.lowercased())
        if host == "https://index.docker.io/v1/" { host = "docker.io" }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-.:[]".contains($0) }) else {
            throw UsageError("\"\(argument)\" is not a registry host (HOST[:PORT])")
        }
        return ["docker.io", "index.docker.io"].contains(host) ? "registry-1.docker.io" : host
    }

    static func store() throws -> CredentialStore {
        guard let path = DockerConfigCredentials.defaultPath(environment: ProcessInfo.processInfo.environment) else {
            throw UsageError("no place for credentials: set DOCKER_CONFIG or HOME")
        }
        return CredentialStore(path: path)
    }
}
