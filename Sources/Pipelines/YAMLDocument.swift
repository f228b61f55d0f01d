/// A YAML value as samforge writes it: block style, two-space indentation, keys in the order
/// given, so equal inputs print byte-for-byte equal files. Strings are written plain when YAML
/// reads them back as the same string (under YAML 1.1 and 1.2 rules alike), else double-quoted.
public indirect enum YAMLValue: Sendable, Equatable {
    case string(String)
    /// A multi-line string written as a `|` block (a script): its lines must not end in spaces.
    case block(String)
    case int(Int)
    case bool(Bool)
    case list([YAMLValue])
    case map([(String, YAMLValue)])

    public static func == (lhs: YAMLValue, rhs: YAMLValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)), let (.block(a), .block(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.list(a), .list(b)): return a == b
        case let (.map(a), .map(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

public enum YAMLWriter {
    /// One document: `---`, optional `# comment` lines, the value.
    public static func document(_ value: YAMLValue, comments: [String] = []) -> String {
        var out = "---\n"
        for comment in comments { out += commentLines(comment) }
        write(value, indent: 0, into: &out)
        return out
    }

    /// The value alone, without the document marker (a file embedded in another).
    /// - Parameter margin: the columns the text will be indented by where it is embedded (a
    ///   `|` block), so its lines still fit `width` there.
    public static func body(_ value: YAMLValue, margin: Int = 0) -> String {
        var out = ""
        write(value, indent: 0, margin: margin, into: &out)
        return out
    }

    /// Several documents in one stream (as `kubectl apply -f` reads them).
    public static func stream(_ documents: [(value: YAMLValue, comments: [String])]) -> String {
        documents.map { document($0.value, comments: $0.comments) }.joined()
    }

    static func write(_ value: YAMLValue, indent: Int, margin: Int = 0, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .map(let pairs) where !pairs.isEmpty:
            for (key, child) in pairs {
                out += pad + scalar(key)
                writeChild(child, indent: indent, column: margin + indent + scalar(key).count + 2, margin: margin, into: &out)
            }
        case .list(let items) where !items.isEmpty:
            for item in items {
                switch item {
                case .map(let pairs) where !pairs.isEmpty:
                    // "- key: value" with the other keys aligned under the first.
                    var nested = ""
                    write(item, indent: indent + 2, margin: margin, into: &nested)
                    out += pad + "- " + nested.dropFirst(indent + 2)
                case .list(let inner) where !inner.isEmpty:
                    out += pad + "-\n"
                    write(item, indent: indent + 2, margin: margin, into: &out)
                default:
                    // yamllint takes "- WORD" past the width as one unbreakable word.
                    out += pad + "-" + inline(item, indent: indent + 2, column: margin + indent + 2, margin: margin, wordMayMove: false) + "\n"
                }
            }
        default:
            out += pad + inline(value, indent: indent, column: margin + indent, margin: margin, wordMayMove: false).dropFirst() + "\n"
        }
    }

    /// After "key": a scalar on the same line (starting at `column`), a collection on the next ones.
    static func writeChild(_ child: YAMLValue, indent: Int, column: Int, margin: Int, into out: inout String) {
        switch child {
        case .map(let pairs) where !pairs.isEmpty:
            out += ":\n"
            write(child, indent: indent + 2, margin: margin, into: &out)
        case .list(let items) where !items.isEmpty:
            out += ":\n"
            write(child, indent: indent + 2, margin: margin, into: &out)
        default:
            out += ":" + inline(child, indent: indent + 2, column: column, margin: margin, wordMayMove: true) + "\n"
        }
    }

    /// A scalar or empty collection, with its leading space (" value"); a string that does not
    /// fit in `width` from `column` is folded (see `fitted`).
    static func inline(_ value: YAMLValue, indent: Int, column: Int = 0, margin: Int = 0, wordMayMove: Bool = false) -> String {
        switch value {
        case .string(let text): return fitted(scalar(text), column: column, indent: indent, margin: margin, wordMayMove: wordMayMove)
        case .int(let number): return " \(number)"
        case .bool(let flag): return flag ? " true" : " false"
        case .map: return " {}"
        case .list: return " []"
        case .block(let text) where !isBlockSafe(text):
            return fitted(doubleQuoted(text), column: column, indent: indent, margin: margin, wordMayMove: wordMayMove)
        case .block(let text):
            let pad = String(repeating: " ", count: indent)
            let chomp = text.hasSuffix("\n") ? "" : "-"
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let body = (text.hasSuffix("\n") ? lines.dropLast() : lines[...])
            return " |\(chomp)\n" + body.map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
        }
    }

    /// A `|` block reads back as `text` when no line starts the block with a space or ends in
    /// one, nothing but printable characters appear, and at most one newline ends it.
    static func isBlockSafe(_ text: String) -> Bool {
        guard !text.isEmpty, !text.hasPrefix(" "), !text.hasSuffix("\n\n") else { return false }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.allSatisfy { line in
            !line.hasSuffix(" ") && line.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) }
        }
    }

    /// `text` plain when that reads back as this string, else double-quoted.
    public static func scalar(_ text: String) -> String {
        isPlainSafe(text) ? text : doubleQuoted(text)
    }

    static func isPlainSafe(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        // Indicators that start something other than a plain scalar.
        // A leading '-' is plain when a word follows (--matrix), not a number (-1) or a marker (---).
        let scalars = Array(text.unicodeScalars)
        if first == "-", scalars.count > 1, !" .0123456789".unicodeScalars.contains(scalars[1]), !text.hasPrefix("---") {
            // falls through to the other checks
        } else if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) {
            return false
        }
        if first == " " || last == " " || last == ":" { return false }
        if text.contains(": ") || text.contains(" #") || text.contains("\t") { return false }
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else { return false }
        return !resolvesToNonString(text)
    }

    /// Values some YAML reader resolves to a boolean, null, number or date: YAML 1.1's
    /// y/yes/on/off…, 1.2's true/false/null, and anything that starts like a number or '.'.
    static func resolvesToNonString(_ text: String) -> Bool {
        let words: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "<<", "="]
        if words.contains(text.lowercased()) { return true }
        guard let first = text.unicodeScalars.first else { return true }
        // 1.1.2, 0x1F, +1, .5, .inf, 2001-12-14, 1:20 (sexagesimal): quote every one of them.
        return "0123456789+.".unicodeScalars.contains(first)
    }

    static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                let value = scalar.value
                // C0, DEL, C1, line/paragraph separators, BOM and non-characters: escaped.
                if value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 || value == 0xFEFF
                    || value == 0xFFFE || value == 0xFFFF {
                    out += "\\u" + String(repeating: "0", count: 4 - String(value, radix: 16).count) + String(value, radix: 16).uppercased()
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
