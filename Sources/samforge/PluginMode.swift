import ArgumentParser
import Foundation
import OCI
import Registry
import Signing

/// samforge as a Harness CI / Drone plugin step: the step's `settings:` arrive as PLUGIN_<NAME>
/// variables (as drone-kaniko and plugins/docker read them). Run with no arguments and
/// PLUGIN_SAM_BASE_IMAGE set, samforge runs `build` with every option taken from
/// PLUGIN_ + the option's long name upper-cased, dashes as underscores. The option list is
/// the build command's own, so a new build option is a new setting without a change here.
enum PluginMode {
    /// Either one, with no arguments, turns plugin mode on.
    static let triggers = ["PLUGIN_SAM_BASE_IMAGE", "PLUGIN_MATRIX"]
    static let prefix = "PLUGIN_"
    /// Credentials: never options, never in argv.
    static let targetUser = "PLUGIN_USERNAME", targetPassword = "PLUGIN_PASSWORD"
    static let sourceUser = "PLUGIN_SOURCE_USERNAME", sourcePassword = "PLUGIN_SOURCE_PASSWORD"
    /// The signing key's password (the key itself is the sign_key setting, PLUGIN_SIGN_KEY,
    /// whose value is the key's text and is read from the environment, never put in argv).
    static let signKeyPassword = "PLUGIN_SIGN_KEY_PASSWORD"
    static var credentialVariables: [String] { [targetUser, targetPassword, sourceUser, sourcePassword, signKeyPassword] }

    /// A build option as the build command declares it.
    struct Setting: Equatable {
        enum Kind: Equatable { case option, repeatingOption, flag }
        let option: String  // long name, "sam-base-image"
        let kind: Kind
        var variable: String { PluginMode.variable(for: option) }
    }

    /// What plugin mode runs: build's argument list, the credentials it must use.
    struct Invocation: Sendable {
        var arguments: [String]
        var credentials: PluginCredentials
        /// Option names as the user wrote them here: `--plugin-image` is PLUGIN_PLUGIN_IMAGE.
        var names: [String: String] = [:]
        /// Settings given but not used (half a credential pair), one line each.
        var warnings: [String] = []

        /// `message` with each build option named as its setting (errors speak the user's terms).
        func reword(_ message: String) -> String {
            var text = message
            for (flag, name) in names.sorted(by: { $0.key.count > $1.key.count }) {
                var result = "", rest = text[...]
                while let range = rest.range(of: flag) {
                    let next = rest[range.upperBound...].first
                    let partOfLongerFlag = next.map { $0.isLetter || $0.isNumber || $0 == "-" } ?? false
                    result += rest[..<range.lowerBound] + (partOfLongerFlag ? flag : name)
                    rest = rest[range.upperBound...]
                }
                text = result + rest
            }
            return text
        }
    }

    static func variable(for option: String) -> String {
        prefix + option.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// nil unless plugin mode applies: no arguments and a trigger variable set. With no
    /// arguments, PLUGIN_ variables without a trigger are a plugin step that would build
    /// nothing (a misspelt or empty sam_base_image): refused, never the root help and exit 0.
    static func invocation(arguments: [String], environment: [String: String]) throws -> Invocation? {
        guard arguments.isEmpty else { return nil }
        let given = environment.keys.filter { $0.hasPrefix(prefix) }.sorted()
        guard triggers.contains(where: { !(environment[$0] ?? "").isEmpty }) else {
            guard !given.isEmpty else { return nil }
            let settings = buildSettings()
            try checkKnown(given, settings: settings)
            let triggerSettings = triggers.map { String($0.dropFirst(prefix.count)).lowercased() }.joined(separator: " or ")
            throw UsageError("plugin settings are set (\(given.joined(separator: ", "))) but neither \(triggers.joined(separator: " nor ")) has a value: give the step's \(triggerSettings) setting (samforge --help for the command line)")
        }
        return try translate(environment: environment, settings: buildSettings())
    }

    /// Every PLUGIN_ variable must be a setting or a credential: the unknown ones are named,
    /// each with the nearest setting when one is near (values are never echoed).
    static func checkKnown(_ names: [String], settings: [Setting]) throws {
        let known = settings.map(\.variable) + credentialVariables
        let unknown = names.filter { !known.contains($0) }
        guard !unknown.isEmpty else { return }
        // The nearest setting, else the one the name extends (PLUGIN_TARGET_REPOSITORY).
        func suggestion(_ name: String) -> String? {
            Suggestion.nearest(to: name, among: known)
                ?? known.filter { name.hasPrefix($0) && $0.count > prefix.count + 3 }.max { $0.count < $1.count }
        }
        let shown = unknown.map { name in name + (suggestion(name).map { " (did you mean \($0)?)" } ?? "") }
        let list = (settings.map { String($0.variable.dropFirst(prefix.count)).lowercased() }
                    + credentialVariables.map { String($0.dropFirst(prefix.count)).lowercased() }).joined(separator: ", ")
        let verb = unknown.count == 1 ? "is not a samforge build setting" : "are not samforge build settings"
        throw UsageError("\(shown.joined(separator: ", ")) \(verb) (settings: \(list))")
    }

    /// The build command's options, read from argument-parser's description of it.
    static func buildSettings() -> [Setting] {
        struct Tool: Decodable { let command: Command }
        struct Command: Decodable { let arguments: [Argument]? }
        struct Argument: Decodable {
            struct Name: Decodable { let kind: String; let name: String }
            let kind: String
            let names: [Name]?
            let isRepeating: Bool
            let shouldDisplay: Bool
        }
        guard let tool = try? JSONDecoder().decode(Tool.self, from: Data(BuildCommand._dumpHelp().utf8)) else { return [] }
        return (tool.command.arguments ?? []).compactMap { argument in
            guard argument.shouldDisplay, let long = argument.names?.first(where: { $0.kind == "long" })?.name, long != "help" else {
                return nil
            }
            switch argument.kind {
            case "flag": return Setting(option: long, kind: .flag)
            case "option": return Setting(option: long, kind: argument.isRepeating ? .repeatingOption : .option)
            default: return nil
            }
        }
    }

    /// Every PLUGIN_ variable must be a setting or a credential; values are checked, never
    /// echoed (a secret set under the wrong name must not reach the log).
    static func translate(environment: [String: String], settings: [Setting]) throws -> Invocation {
        try checkKnown(environment.keys.filter { $0.hasPrefix(prefix) }.sorted(), settings: settings)
        var arguments: [String] = []
        for setting in settings {
            guard let value = environment[setting.variable], !value.isEmpty else { continue }
            switch setting.kind {
            case .flag:
                switch value.lowercased() {
                case "true": arguments.append("--" + setting.option)
                case "false": break
                default: throw UsageError("\(setting.variable) must be true or false")
                }
            case .option where setting.option == "sign-key":
                arguments += ["--sign-key", "env://" + setting.variable]
            case .option:
                arguments += ["--" + setting.option, value]
            case .repeatingOption:
                // Drone and Harness pass a list setting as its items joined by commas.
                let items = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard !items.contains(where: \.isEmpty) else {
                    throw UsageError("\(setting.variable) has an empty item: give values separated by single commas")
                }
                for item in items { arguments += ["--" + setting.option, item] }
            }
        }
        var names = Dictionary(settings.map { ("--" + $0.option, $0.variable) }, uniquingKeysWith: { first, _ in first })
        // Harness and Drone read a plugin's output variables from the file DRONE_OUTPUT names.
        if let output = environment["DRONE_OUTPUT"], !output.isEmpty, (environment[variable(for: "output-env")] ?? "").isEmpty {
            arguments += ["--output-env", output]
            names["--output-env"] = "DRONE_OUTPUT"
        }
        var warnings: [String] = []
        let credentials = try credentials(environment: environment, arguments: arguments, warnings: &warnings)
        return Invocation(arguments: arguments, credentials: credentials, names: names, warnings: warnings)
    }

    /// PLUGIN_SIGN_KEY_PASSWORD becomes the password of the signing key (as COSIGN_PASSWORD,
    /// which wins when both are set); it leaves the environment either way.
    static func exportSigningPassword() {
        if let value = getenv(signKeyPassword), getenv(Password.variable) == nil { setenv(Password.variable, value, 1) }
        unsetenv(signKeyPassword)
    }

    /// The target's pair behaves as DOCKER_USERNAME/DOCKER_PASSWORD do in a Run step (the
    /// generated Plugin step leaves the user name optional): used when both are given, else
    /// ignored with a warning. The plugin image's pair has no Run-step form: half of it is an
    /// error.
    static func credentials(environment: [String: String], arguments: [String], warnings: inout [String]) throws -> PluginCredentials {
        func pair(_ user: String, _ password: String) throws -> Credentials? {
            let u = environment[user] ?? "", p = environment[password] ?? ""
            if u.isEmpty && p.isEmpty { return nil }
            guard !u.isEmpty, !p.isEmpty else { throw UsageError("set both \(user) and \(password), or neither") }
            return Credentials(username: u, password: p)
        }
        var push: Credentials?
        let user = environment[targetUser] ?? "", password = environment[targetPassword] ?? ""
        if let warning = TargetCredentials.halfPairWarning(user: (targetUser, user), password: (targetPassword, password)) {
            warnings.append(warning)
        } else if !user.isEmpty {
            push = Credentials(username: user, password: password)
        }
        var result = PluginCredentials(push: push)
        if let source = try pair(sourceUser, sourcePassword) {
            // The plugin image as build resolves it: the setting, else BASE_IMAGE, SCRATCH_IMAGE.
            let text = arguments.firstIndex(of: "--plugin-image").map { arguments[$0 + 1] }
                ?? [environment["BASE_IMAGE"], environment["SCRATCH_IMAGE"]].compactMap { $0 }.first { !$0.isEmpty }
            guard let text else { throw UsageError("\(sourceUser) is set but no plugin image is (PLUGIN_PLUGIN_IMAGE)") }
            guard let reference = try? Reference(parsing: text) else {
                throw UsageError("\(variable(for: "plugin-image")) is not a valid image reference")
            }
            result.hosts[reference.host] = source
        }
        return result
    }
}
