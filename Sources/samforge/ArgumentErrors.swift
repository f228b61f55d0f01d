import ArgumentParser

/// argument-parser's errors as samforge's one line: `samforge: error: MESSAGE (HINT)`, instead of
/// its `Error: …`, `Help: …` and usage lines.
enum ArgumentErrors {
    static func line(for error: Error, path: [String]) -> String {
        let text = Samforge.message(for: error)
        var message = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
        message = message.replacingOccurrences(of: ". Did you mean ", with: "; did you mean ")
        // "Unknown option …" → "unknown option …" (samforge's messages start in lower case).
        if let first = message.first, first.isUppercase, message.dropFirst().first?.isLowercase == true {
            message = first.lowercased() + message.dropFirst()
        }
        return "samforge: error: " + message + " (" + hint(for: message, path: path) + ")"
    }

    static func hint(for message: String, path: [String]) -> String {
        let command = (["samforge"] + path).joined(separator: " ")
        if message.hasPrefix("missing expected argument") || message.hasPrefix("unexpected argument"), let usage = usage(of: path) {
            return "usage: " + usage
        }
        return "see '\(command) --help'"
    }

    /// The command's usage on one line.
    static func usage(of path: [String]) -> String? {
        var node: ParsableCommand.Type = Samforge.self
        for name in path {
            guard let child = node.configuration.subcommands.first(where: { $0.commandName == name }) else { return nil }
            node = child
        }
        return node.configuration.usage.map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") }
    }
}
