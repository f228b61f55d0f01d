import ArgumentParser
import OCI

/// What samforge does with its arguments before argument-parser sees them, so they work as
/// users of docker, crane and skopeo type them: the registry options (global) may come before
/// the command name and are moved after it, `samforge --version` is answered, and a command
/// name that is not one gets the nearest one suggested.
struct ArgumentShape {
    /// The arguments for argument-parser.
    var arguments: [String]
    /// The command names given (`["pipeline", "harness"]`), for hints.
    var path: [String] = []
    /// `samforge --version`.
    var wantsVersion = false

    /// argument-parser's own options, which it answers before any command runs.
    static let builtIns = ["-h", "--help", "--generate-completion-script", "--experimental-dump-help"]

    /// Arguments taken as they are (plugin mode builds them itself).
    init(plain arguments: [String]) {
        self.arguments = arguments
        path = arguments.first.map { [$0] } ?? []
    }

    init(_ given: [String]) throws {
        var rest = given[...]
        var node: ParsableCommand.Type = Samforge.self
        var globals: [String] = []
        // Up to the command's name: after it, argument-parser reads everything.
        while let word = rest.first, word != "--", path.isEmpty || !node.configuration.subcommands.isEmpty {
            if word.hasPrefix("-") {
                if path.isEmpty, word == "--version" {
                    arguments = given
                    wantsVersion = true
                    return
                }
                if Self.builtIns.contains(where: { word == $0 || word.hasPrefix($0 + "=") }) { break }
                guard let option = GlobalOptions.option(named: word) else {
                    throw Self.misplaced(word, rest: Array(rest.dropFirst()), under: node, path: path)
                }
                rest.removeFirst()
                globals.append(word)
                if option.takesValue, !word.contains("=") {
                    guard let value = rest.first else { throw UsageError("\(word) needs a value (e.g. \(option.example))") }
                    globals.append(value)
                    rest.removeFirst()
                }
                continue
            }
            let children = node.configuration.subcommands
            guard !children.isEmpty else { break }
            if word == "help" {
                // `samforge help NAME…`: the names must be commands too.
                try Self.checkNames(Array(rest.dropFirst()), under: node, path: path)
                break
            }
            guard let child = children.first(where: { $0.commandName == word }) else {
                throw Self.unknownCommand(word, under: node, path: path)
            }
            path.append(word)
            node = child
            rest.removeFirst()
        }
        // Registry options and no command after them (`samforge --verbose`).
        if let first = globals.first, rest.isEmpty, !node.configuration.subcommands.isEmpty {
            let group = (["samforge"] + path).joined(separator: " ")
            throw UsageError("\(escapedForMessage(String(first.prefix(80)))): give a command after it (\(group) --help lists the commands)")
        }
        if !globals.isEmpty, node.configuration.subcommands.isEmpty, !GlobalOptions.accepted(by: node) {
            let names = globals.filter { $0.hasPrefix("-") }.joined(separator: ", ")
            throw UsageError("\(names): samforge \(path.joined(separator: " ")) talks to no registry, so the registry options do not apply")
        }
        if let refusal = CredentialArguments.refusal(Array(rest), path: path) { throw refusal }
        arguments = path + globals + Array(rest)
    }

    /// `samforge help bulid`: each name a command of the one before it.
    static func checkNames(_ names: [String], under start: ParsableCommand.Type, path start_: [String]) throws {
        var node = start, path = start_
        for name in names where !name.hasPrefix("-") {
            let children = node.configuration.subcommands
            guard !children.isEmpty else { return }
            guard let child = children.first(where: { $0.commandName == name }) else {
                throw unknownCommand(name, under: node, path: path)
            }
            node = child
            path.append(name)
        }
    }

    static func unknownCommand(_ word: String, under node: ParsableCommand.Type, path: [String]) -> UsageError {
        let names = node.configuration.subcommands.map { $0.commandName }
        let parent = (["samforge"] + path).joined(separator: " ")
        let shown = "\"\(escapedForMessage(String(word.prefix(80))))\""
        if let nearest = Suggestion.nearest(to: word, among: names) {
            return UsageError("unknown command \(shown); did you mean \"\(parent) \(nearest)\"? (\(parent) --help lists the commands)")
        }
        return UsageError("unknown command \(shown) (\(parent) takes one of: \(names.joined(separator: ", ")))")
    }

    /// An option before the command name that is not a registry option: say where it goes.
    static func misplaced(_ option: String, rest: [String], under node: ParsableCommand.Type, path: [String]) -> UsageError {
        let shown = escapedForMessage(String(option.prefix(80)))
        // The command named after it, down to its leaf (`pipeline harness`).
        var command: (type: ParsableCommand.Type, words: [String])?
        if let start = rest.firstIndex(where: { word in node.configuration.subcommands.contains { $0.commandName == word } }) {
            var current = (type: node, words: [String]())
            for word in rest[start...] {
                guard let child = current.type.configuration.subcommands.first(where: { $0.commandName == word }) else { break }
                current = (child, current.words + [word])
            }
            command = current
        }
        // A credential option is refused by name wherever it stands, and its value never shown.
        if let refusal = CredentialArguments.refusal([option], path: path + (command?.words ?? [])) { return refusal }
        let name = option.split(separator: "=", maxSplits: 1).first.map(String.init) ?? option
        // An option of the command named after it is misplaced, not misspelt; and a one-letter
        // option (`-q`) is one edit from every other, so only long ones get a suggestion.
        let belongsToCommand = command.map { CommandCatalog.options(of: $0.type).contains { $0.name == name } } ?? false
        if !belongsToCommand, name.hasPrefix("--"), let nearest = Suggestion.nearest(to: option, among: GlobalOptions.names) {
            return UsageError("unknown option \(shown); did you mean \(nearest)? (see 'samforge --help')")
        }
        if let command, !belongsToCommand {
            let names = CommandCatalog.options(of: command.type).map(\.name).filter { $0.hasPrefix("--") }
            let help = "(see '\((["samforge"] + path + command.words).joined(separator: " ")) --help')"
            if name.hasPrefix("--"), let nearest = Suggestion.nearest(to: name, among: names) {
                return UsageError("unknown option '\(shown)'; did you mean '\(nearest)'? \(help)")
            }
            return UsageError("unknown option '\(shown)' \(help)")
        }
        if let command {
            let written = (["samforge"] + path + command.words + [shown]).joined(separator: " ")
            return UsageError("\(shown) is an option of the command: write it after the command name (\(written) ...); only the registry options may come first")
        }
        return UsageError("\(shown): give a command first, then its options (samforge --help lists the commands)")
    }
}

extension ParsableCommand {
    /// The name a command is typed as.
    static var commandName: String { configuration.commandName ?? String(describing: self).lowercased() }
}

/// The options every command that talks to a registry takes: RegistryFlags' own, read from
/// argument-parser's description of it, so a new registry option is global without a change here.
enum GlobalOptions {
    struct Option { var name: String; var takesValue: Bool; var example: String }

    /// A command that holds nothing but the registry options, to read their names.
    struct Probe: ParsableCommand { @OptionGroup var registry: RegistryFlags }

    static let all: [Option] = CommandCatalog.options(of: Probe.self).map {
        Option(name: $0.name, takesValue: $0.takesValue, example: "\($0.name) \($0.valueName ?? "VALUE")")
    }
    static var names: [String] { all.map(\.name) }

    /// `--timeout`, `--timeout=90s`, `-x`: the option, when it is a registry option.
    static func option(named word: String) -> Option? {
        let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
        return all.first { $0.name == name }
    }

    static func accepted(by command: ParsableCommand.Type) -> Bool {
        let names = Set(CommandCatalog.options(of: command).map(\.name))
        return all.allSatisfy { names.contains($0.name) }
    }
}
