import ArgumentParser
import Foundation
import OCI
import Registry

/// Options every command that talks to registries takes.
struct RegistryFlags: ParsableArguments {
    @Flag(name: .customLong("insecure"), help: "Skip TLS checks and allow plain HTTP for all hosts.")
    var insecure = false

    @Option(name: .customLong("insecure-registry"), help: ArgumentHelp("The same for HOST[:PORT] only (repeatable).", valueName: "HOST[:PORT]"))
    var insecureRegistries: [String] = []

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("Trust this CA bundle (PEM) besides the system's.", valueName: "PATH"))
    var caFile: String?

    @Option(name: .customLong("timeout"), help: ArgumentHelp("Stop the whole command after DURATION (90s, 5m).", valueName: "DURATION"))
    var timeout: String?

    @Option(name: .customLong("retry-times"), help: ArgumentHelp("Retries per request and per blob (default 4).", valueName: "N"))
    var retryTimes: Int?

    /// Per-request clocks (seconds); hidden: the documented defaults suit registries, tests
    /// need short ones.
    @Option(name: .customLong("first-byte-timeout"), help: .hidden) var firstByteTimeout: Double?
    @Option(name: .customLong("stall-timeout"), help: .hidden) var stallTimeout: Double?

    @Option(name: .customLong("max-requests-per-second"),
            help: ArgumentHelp("At most N requests a second to HOST (repeatable; default: no limit).", valueName: "HOST=N"))
    var maxRequestsPerSecond: [String] = []

    @Flag(name: .customLong("verbose"), help: "Log each request to stderr (credentials redacted).")
    var verbose = false

    static let maxRetryTimes = 100

    func validate() throws {
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw UsageError("--ca-file \(caFile): no such readable file")
        }
        if let timeout, (parseDuration(timeout) ?? 0) <= 0 {
            throw UsageError("--timeout takes a positive duration such as 90s, 5m or 1h30m (got \"\(timeout)\")")
        }
        if let retryTimes, !(0...Self.maxRetryTimes).contains(retryTimes) {
            throw UsageError("--retry-times must be between 0 and \(Self.maxRetryTimes) (got \(retryTimes))")
        }
        for (name, value) in [("--first-byte-timeout", firstByteTimeout), ("--stall-timeout", stallTimeout)] {
            if let value, !(value > 0) { throw UsageError("\(name) must be a positive number of seconds") }
        }
        _ = try requestRates()
    }

    /// `--max-requests-per-second HOST=N` values, HOST as a reference names it (`docker.io`,
    /// `public.ecr.aws`, `registry.example.com:5000`), N a positive number (0.5: one every 2 s).
    func requestRates() throws -> [String: Double] {
        var rates: [String: Double] = [:]
        for value in maxRequestsPerSecond {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[0].contains("/"), let rate = Double(parts[1]), rate.isFinite, rate > 0 else {
                throw UsageError("--max-requests-per-second takes HOST=N with N a positive number, e.g. public.ecr.aws=1 (got \"\(value)\")")
            }
            rates[parts[0].lowercased()] = rate
        }
        return rates
    }

    /// A client whose credentials come from docker's config.json, plus, for the hosts of
    /// `pushTargets`, DOCKER_USERNAME/DOCKER_PASSWORD when both are set (the Harness pipeline's
    /// variables), then plugin mode's PLUGIN_ credentials (PluginCredentials.current, never in
    /// argv). `given` (login's credentials under test) take precedence over all. Each says where
    /// it came from, for an error that says the registry rejected it.
    func makeClient(pushTargets: [Reference] = [], given: [String: Credentials] = [:],
                    environment: [String: String] = ProcessInfo.processInfo.environment) -> RegistryClient {
        let pushHosts = Array(Set(pushTargets.map(\.host)))
        let configFile = DockerConfigCredentials(path: DockerConfigCredentials.defaultPath(environment: environment))
        var overrides: [String: Credentials] = [:]
        let user = environment["DOCKER_USERNAME"] ?? "", password = environment["DOCKER_PASSWORD"] ?? ""
        if !pushHosts.isEmpty, let warning = TargetCredentials.halfPairWarning(user: ("DOCKER_USERNAME", user), password: ("DOCKER_PASSWORD", password)) {
            Self.printLine("samforge: warning: " + warning)
        } else if !user.isEmpty, !password.isEmpty {
            for host in pushHosts { overrides[host] = Credentials(username: user, password: password, origin: "DOCKER_USERNAME/DOCKER_PASSWORD") }
        }
        if let plugin = PluginCredentials.current {
            overrides.merge(plugin.hosts.mapValues { $0.from("PLUGIN_SOURCE_USERNAME/PLUGIN_SOURCE_PASSWORD") }) { _, source in source }
            // The target's credentials win where the plugin image shares its registry.
            if let push = plugin.push { for host in pushHosts { overrides[host] = push.from("PLUGIN_USERNAME/PLUGIN_PASSWORD") } }
        }
        overrides.merge(given) { _, login in login }
        var log: (@Sendable (String) -> Void)?
        if verbose { log = { line in Self.printLine("samforge: \(line)") } }
        var options = RegistryOptions(insecureHosts: Set(insecureRegistries), caFile: caFile,
                                      credentials: LayeredCredentials(overrides: overrides, fallback: configFile), log: log,
                                      warn: { line in Self.printLine("samforge: warning: \(line)") })
        options.insecureEverywhere = insecure
        options.onRetry = { line in Self.printLine("samforge: \(line)") }
        options.pushHosts = Set(pushHosts)
        options.pushRepositories = Set(pushTargets.map(Repository.init))
        options.requestRates = (try? requestRates()) ?? [:]
        // As podman and skopeo: mirrors, rewrites and blocks from registries.conf; an
        // unreadable file fails every registry operation (it might block something).
        do {
            if let conf = try RegistriesConf.load(environment: environment) {
                options.registriesConf = conf
                options.insecureHosts.formUnion(conf.insecureHosts)
            }
        } catch {
            options.registriesConfError = "\(error)"
        }
        if let retryTimes { options.retry.maxAttempts = retryTimes + 1 }
        if let firstByteTimeout { options.timeouts.firstByte = firstByteTimeout }
        if let stallTimeout { options.timeouts.stall = stallTimeout }
        if let seconds = timeout.flatMap(parseDuration) {
            options.deadline = Deadline(seconds: seconds)
            Self.armWatchdog(seconds: seconds)
        }
        return RegistryClient(options: options)
    }

    static func printLine(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    /// Registry requests end at the deadline with their own error; local work still running a
    /// little later (compressing a large layer) ends the process, so the bound always holds.
    /// Its line reads as a request's timeout does (`after 90 s`, not the flag's `90s`).
    private static func armWatchdog(seconds: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds + watchdogGrace) {
            printLine("samforge: error: timed out after \(formatDelay(seconds)) (--timeout) during local work (still running \(formatDelay(watchdogGrace)) past the deadline)")
            _exit(ExitStatus.runtime)
        }
    }

    static let watchdogGrace = 5.0
}

/// Credentials plugin mode hands to the build it runs: for the push host (PLUGIN_USERNAME,
/// PLUGIN_PASSWORD) and per host (the plugin image's, from PLUGIN_SOURCE_USERNAME/_PASSWORD).
struct PluginCredentials: Sendable {
    var push: Credentials?
    var hosts: [String: Credentials] = [:]

    /// Set around the build's run by Entry in plugin mode only.
    @TaskLocal static var current: PluginCredentials?
}

/// The pushed-to registry's user and password from the environment (DOCKER_USERNAME and
/// DOCKER_PASSWORD, or plugin mode's PLUGIN_USERNAME and PLUGIN_PASSWORD): one rule for both.
enum TargetCredentials {
    /// The warning when only one of the two is set: both are then ignored (the push uses
    /// docker's config.json, or no credentials), as a Run step always did.
    static func halfPairWarning(user: (name: String, value: String), password: (name: String, value: String)) -> String? {
        switch (user.value.isEmpty, password.value.isEmpty) {
        case (true, false):
            return "\(password.name) is set but \(user.name) is empty: both are ignored, so the push uses docker's config.json or no credentials (set \(user.name) to use the password)"
        case (false, true):
            return "\(user.name) is set but \(password.name) is empty: both are ignored, so the push uses docker's config.json or no credentials"
        default:
            return nil
        }
    }
}
