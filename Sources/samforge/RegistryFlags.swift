import ArgumentParser
import Foundation
import Registry

/// Options every command that talks to registries takes.
struct RegistryFlags: ParsableArguments {
    @Option(name: .customLong("insecure-registry"), help: ArgumentHelp("Allow plain HTTP / unverified TLS for HOST[:PORT] (repeatable).", valueName: "HOST[:PORT]"))
    var insecureRegistries: [String] = []

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("Trust this CA bundle (PEM) in addition to the system's.", valueName: "PATH"))
    var caFile: String?

    @Flag(name: .customLong("verbose"), help: "Log each registry request to stderr (credentials redacted).")
    var verbose = false

    func validate() throws {
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw UsageError("--ca-file \(caFile): no such readable file")
        }
    }

    /// A client whose credentials come from docker's config.json, plus, for `pushHosts`,
    /// DOCKER_USERNAME/DOCKER_PASSWORD when both are set (the Harness pipeline's variables).
    /// `given` (login's credentials under test) take precedence over both.
    func makeClient(pushHosts: [String] = [], given: [String: Credentials] = [:],
                    environment: [String: String] = ProcessInfo.processInfo.environment) -> RegistryClient {
        let configFile = DockerConfigCredentials(path: DockerConfigCredentials.defaultPath(environment: environment))
        var overrides: [String: Credentials] = [:]
        if let user = environment["DOCKER_USERNAME"], !user.isEmpty, let password = environment["DOCKER_PASSWORD"], !password.isEmpty {
            for host in pushHosts { overrides[host] = Credentials(username: user, password: password) }
        }
        overrides.merge(given) { _, login in login }
        var log: (@Sendable (String) -> Void)?
        if verbose {
            log = { @Sendable line in FileHandle.standardError.write(Data("samforge: \(line)\n".utf8)) }
        }
        let warn: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data("samforge: warning: \(line)\n".utf8)) }
        var options = RegistryOptions(insecureHosts: Set(insecureRegistries), caFile: caFile,
                                      credentials: LayeredCredentials(overrides: overrides, fallback: configFile), log: log, warn: warn)
        options.onRetry = { line in FileHandle.standardError.write(Data("samforge: \(line)\n".utf8)) }
        return RegistryClient(options: options)
    }
}
