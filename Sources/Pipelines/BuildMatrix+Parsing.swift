import OCI
import Yams

extension BuildMatrix {
    /// Parses a matrix file's text; `source` (the file's name) starts every error message.
    /// Errors are one line: the entry's index (and line), the key, what was wrong.
    public static func parse(_ text: String, source: String = "matrix") throws(BuildMatrixError) -> BuildMatrix {
        func fail(_ message: String) -> BuildMatrixError { BuildMatrixError("\(source): \(message)") }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw fail(Self.describe(error))
        }
        guard let root else { throw fail("empty file: expected a list of SAM base images, or a mapping with an images: list") }

        let items: [Node]
        switch root {
        case .sequence(let sequence):
            items = Array(sequence)
        case .mapping(let mapping):
            var list: [Node]?
            for (key, value) in mapping {
                let name = key.scalar?.string ?? ""
                guard name == "images" else {
                    throw fail("unknown key \(Self.quoted(name))\(Self.at(key)): the file's mapping has only images:")
                }
                guard case .sequence(let sequence) = value else {
                    throw fail("images\(Self.at(value)) must be a list, not \(Self.kind(of: value))")
                }
                list = Array(sequence)
            }
            guard let list else { throw fail("no images: key (expected images: followed by a list)") }
            items = list
        default:
            throw fail("expected a list of SAM base images, or a mapping with an images: list, not \(Self.kind(of: root))")
        }
        guard !items.isEmpty else { throw fail("the images list is empty") }

        var entries: [Entry] = []
        for (index, item) in items.enumerated() {
            do { entries.append(try Self.entry(item)) } catch {
                throw fail("entry \(index)\(Self.at(item)): \(error.message)")
            }
        }
        let lines = items.compactMap { $0.mark?.line }
        do { return try BuildMatrix(entries: entries, lines: lines) } catch { throw fail(error.message) }
    }

    /// One list item: a reference string, or a mapping of the known keys.
    static func entry(_ node: Node) throws(BuildMatrixError) -> Entry {
        switch node {
        case .scalar:
            return Entry(samBaseImage: try string(node, key: "sam-base-image"))
        case .mapping(let mapping):
            var values: [String: String] = [:]
            for (key, value) in mapping {
                let name = key.scalar?.string ?? ""
                guard entryKeys.contains(name) else {
                    let guess = Suggestion.nearest(to: name, among: entryKeys).map { "; did you mean \(quoted($0))?" } ?? ""
                    throw BuildMatrixError("unknown key \(quoted(name))\(guess) (an entry has \(entryKeys.joined(separator: ", ")))")
                }
                values[name] = try string(value, key: name)
            }
            guard let base = values["sam-base-image"] else {
                throw BuildMatrixError("sam-base-image is required (entry keys: \(entryKeys.joined(separator: ", ")))")
            }
            return Entry(samBaseImage: base, version: values["version"], targetRepo: values["target-repo"],
                         pluginImage: values["plugin-image"])
        default:
            throw BuildMatrixError("must be a SAM base image reference or a mapping with sam-base-image:, not \(kind(of: node))")
        }
    }

    /// A string scalar; numbers, booleans and nulls are refused, not converted (1.10 would
    /// silently become 1.1).
    static func string(_ node: Node, key: String) throws(BuildMatrixError) -> String {
        guard case .scalar(let scalar) = node else {
            throw BuildMatrixError("\(key) must be a string, not \(kind(of: node))")
        }
        guard tagName(node) == .str else {
            let shown = tagName(node) == .null ? "" : " \(quoted(scalar.string)) (quote it)"
            throw BuildMatrixError("\(key) must be a string, not \(kind(of: node))\(shown)")
        }
        if let problem = problem(with: scalar.string) { throw BuildMatrixError("\(key) \(problem)") }
        return scalar.string
    }

    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar:
            switch tagName(node) {
            case .str: return "a string"
            case .int: return "a number"
            case .float: return "a number"
            case .bool: return "a boolean"
            case .null: return "null"
            default: return "a \(tagName(node).rawValue.split(separator: ":").last ?? "value")"
            }
        }
    }

    /// The type YAML resolves the node to (a quoted scalar is always a string).
    static func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.description) }

    static func at(_ node: Node) -> String {
        node.mark.map { " (line \($0.line))" } ?? ""
    }

    static func quoted(_ text: String) -> String {
        "\"" + String(text.prefix(60)).unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : String($0) }.joined() + "\""
    }

    /// Yams' messages span lines (context, then the offending text): keep the problem and
    /// where it is.
    static func describe(_ error: Error) -> String {
        switch error {
        case YamlError.scanner(_, let problem, let mark, _), YamlError.parser(_, let problem, let mark, _),
             YamlError.composer(_, let problem, let mark, _):
            var problem = problem
            if problem.contains("nesting level") { problem = "nested too deeply" }
            if problem.contains("another document") { problem = "more than one document" }
            return "not valid YAML: \(problem) (line \(mark.line), column \(mark.column))"
        case YamlError.reader(let problem, _, _, _):
            return "not valid YAML text: \(problem)"
        case YamlError.duplicatedKeysInMapping(let duplicates, let context):
            return "key \(duplicates.map(quoted).joined(separator: ", ")) appears twice (line \(context.mark.line))"
        default:
            let text = String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "unreadable"
            return "not valid YAML: \(text)"
        }
    }
}
