import ArgumentParser
import Foundation

/// A command's options as argument-parser describes them (its `--experimental-dump-help`), so
/// code that needs the list (global options, suggestions) never keeps a copy of it.
enum CommandCatalog {
    struct Option: Equatable {
        /// As typed: `--timeout`, `-q`.
        var name: String
        var takesValue: Bool
        var valueName: String?
    }

    private struct Tool: Decodable { let command: Command }
    private struct Command: Decodable { let arguments: [Argument]? }
    private struct Argument: Decodable {
        struct Name: Decodable { let kind: String; let name: String }
        let kind: String
        let names: [Name]?
        let valueName: String?
    }

    /// Every spelling of every option and flag of `command` (hidden ones too).
    static func options(of command: ParsableCommand.Type) -> [Option] {
        guard let tool = try? JSONDecoder().decode(Tool.self, from: Data(command._dumpHelp().utf8)) else { return [] }
        return (tool.command.arguments ?? []).flatMap { argument -> [Option] in
            guard argument.kind == "option" || argument.kind == "flag" else { return [] }
            return (argument.names ?? []).map { name in
                Option(name: (name.kind == "long" ? "--" : "-") + name.name, takesValue: argument.kind == "option",
                       valueName: argument.valueName)
            }
        }
    }
}
