import Foundation
import Testing
import TestSupport
import Yams
@testable import Pipelines

/// Strings that some YAML reader takes for something else when written plain.
let trickyStrings: [String] = [
    "", " ", " a", "a ", "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "Null", "~", "<<", "=",
    "1", "1.1.2", "0x1F", "0o17", "017", "1:20", "1_000", "+1", "-1", ".5", ".inf", "-.inf", ".NaN", "1e3",
    "2001-12-14", "2001-12-14t21:59:43.10-05:00", "-", "- a", "a: b", "a:b", "a:", "a #b", "a#b", "#a",
    "&a", "*a", "!a", "!!str", "|", ">", "'", "'a'", "\"", "\"a\"", "%a", "@a", "`a", "?", "? a", ":a", ",a",
    "[a]", "{a}", "a,b", "a [b]", "a\tb", "a\nb", "a\n", "\n", "a\\b", "é", "日本", "\u{7F}", "\u{85}", "\u{A0}",
    "\u{2028}", "\u{FEFF}x", "\u{1F600}", "\u{0}", "\u{1B}[0m", "<+input>", "<+secrets.getValue(\"dockerhub_pat\")>",
    "<+matrix.sam_base_image>", "public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64", "--matrix",
    "/config/matrix.yaml", "...", "---", "a ---", "--- a", "... a",
]

enum RandomStrings {
    static let alphabet: [Character] = Array("aZ09 -:#&*!|>'\"%@`?,[]{}.\t\n\\~+=_/<>é\u{85}\u{2028}\u{FEFF}\u{7F}\u{1}")

    static func make(count: Int, seed: UInt64) -> [String] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            String((0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
    }
}

@Suite("YAML writer")
struct YAMLWriterTests {
    static let strings = trickyStrings + RandomStrings.make(count: 400, seed: 0x5A4D_F0E6)

    /// The document: every string as a value, in a list, and as a key.
    static func document(_ strings: [String]) -> String {
        YAMLWriter.document(.map([
            ("values", .list(strings.map { .map([("s", .string($0))]) })),
            ("bare", .list(strings.map(YAMLValue.string))),
            ("keys", .list(strings.map { .map([($0, .int(1))]) })),
        ]))
    }

    @Test func everyStringReadsBackThroughYams() throws {
        let text = Self.document(Self.strings)
        let root = try #require(try Yams.compose(yaml: text))
        let values = try #require(root["values"]?.sequence).map { $0["s"]?.string }
        let bare = try #require(root["bare"]?.sequence).map { $0.string }
        let keys = try #require(root["keys"]?.sequence).map { $0.mapping?.first?.key.string }
        // Yams drops a scalar's leading U+FEFF (taking it for a byte order mark); PyYAML below reads them.
        for (index, string) in Self.strings.enumerated() where !string.hasPrefix("\u{FEFF}") {
            #expect(values[index] == string, "\(string.debugDescription)")
            #expect(bare[index] == string, "\(string.debugDescription)")
            #expect(keys[index] == string, "\(string.debugDescription)")
            // Resolved as strings, not booleans or numbers.
            #expect(root["bare"]?.sequence?[index].tag.description == "tag:yaml.org,2002:str", "\(string.debugDescription)")
        }
    }

    /// PyYAML resolves YAML 1.1 (yes/no/on/off, sexagesimal numbers, dates): an independent reader.
    @Test func everyStringReadsBackThroughPyYAML() throws {
        let text = Self.document(Self.strings)
        let script = """
        import json, sys, yaml
        doc = yaml.safe_load(sys.stdin.read())
        print(json.dumps({"values": [d["s"] for d in doc["values"]], "bare": doc["bare"],
                          "keys": [list(d.keys())[0] for d in doc["keys"]]}))
        """
        let result = try Command.run("python3", ["-c", script], input: text)
        try #require(result.status == 0, "\(result.stderr)")
        let decoded = try JSONDecoder().decode([String: [String]].self, from: Data(result.stdout.utf8))
        for key in ["values", "bare", "keys"] {
            let read = try #require(decoded[key])
            try #require(read.count == Self.strings.count)
            for (string, back) in zip(Self.strings, read) {
                #expect(back == string, "\(key): \(string.debugDescription) read as \(back.debugDescription)")
            }
        }
    }

    @Test func layoutIsBlockStyleAndStable() {
        let value = YAMLValue.map([
            ("name", .string("sam-image-build")),
            ("tags", .map([])),
            ("list", .list([.string("a"), .map([("k", .int(1)), ("l", .bool(false))]), .list([.string("x")])])),
            ("empty", .list([])),
            ("script", .block("set -eu\nsamforge build\n")),
            ("chomped", .block("one\n\ntwo")),
            ("unsafe block", .block(" leading space\n")),
        ])
        #expect(YAMLWriter.document(value, comments: ["Generated.", ""]) == """
        ---
        # Generated.
        #
        name: sam-image-build
        tags: {}
        list:
          - a
          - k: 1
            l: false
          -
            - x
        empty: []
        script: |
          set -eu
          samforge build
        chomped: |-
          one

          two
        unsafe block: " leading space\\n"

        """)
    }
}

/// Long values at every depth: the lines fit yamllint's default width (80) wherever YAML lets
/// a value break, and every value still reads back as itself.
@Suite("YAML writer: lines within yamllint's default width")
struct YAMLWidthTests {
    /// Words of tricky characters, joined by single and double spaces, 20 to 300 characters
    /// long; a few long words without a space (only a line of their own helps them).
    static let strings: [String] = {
        var generator = SeededGenerator(seed: 0x5749_4454)
        let words = trickyStrings.filter { !$0.contains(" ") && !$0.isEmpty } + RandomStrings.make(count: 60, seed: 7).filter { !$0.isEmpty }
        var strings = (0..<120).map { _ in
            var text = ""
            let target = Int.random(in: 20...300, using: &generator)
            while text.count < target {
                if !text.isEmpty { text += Bool.random(using: &generator) ? " " : (Int.random(in: 0..<8, using: &generator) == 0 ? "  " : " ") }
                text += words.randomElement(using: &generator)!
            }
            return text
        }
        strings += ["registry.example.com/tools/samforge@sha256:" + String(repeating: "ab", count: 32),
                    "<+input>.default(registry.example.com/harness/aws-sam-plugin:1.1.3-beta-base-image)"]
        return strings
    }()

    /// Each string as a value at depths 0 to 40, in a list, and embedded as a `|` block's
    /// matrix file (as the ConfigMap does).
    static func value(_ strings: [String]) -> YAMLValue {
        func nested(_ depth: Int, _ inner: YAMLValue) -> YAMLValue {
            depth == 0 ? inner : .map([("level\(depth)", nested(depth - 1, inner))])
        }
        return .map(strings.enumerated().map { index, text in
            ("case\(index)", nested(index % 20, .map([("value", .string(text)), ("list", .list([.string(text)]))])))
        })
    }

    @Test func linesFitTheDefaultWidthAndReadBack() throws {
        let text = YAMLWriter.document(Self.value(Self.strings))
        let lint = try Command.run("yamllint", ["--strict", "-f", "parsable", "-d", "default", "-"], input: text)
        try #require(lint.status != 127, "yamllint is not installed: run scripts/bootstrap")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let flagged = lint.stdout.split(separator: "\n").compactMap { $0.split(separator: ":").dropFirst().first.flatMap { Int($0) } }
        #expect(lint.status == 0, "\(lint.stdout)\(flagged.prefix(5).map { lines[$0 - 1] }.joined(separator: "\n"))")
        let root = try #require(try Yams.compose(yaml: text))
        for (index, string) in Self.strings.enumerated() where !string.hasPrefix("\u{FEFF}") {
            var node: Yams.Node? = root["case\(index)"]
            for depth in stride(from: index % 20, to: 0, by: -1) { node = node?["level\(depth)"] }
            #expect(node?["value"]?.string == string, "\(string.debugDescription)")
            #expect(node?["list"]?[0]?.string == string, "\(string.debugDescription)")
        }
        // PyYAML, an independent reader, agrees.
        let script = "import json, sys, yaml\nprint(json.dumps(yaml.safe_load(sys.stdin.read())))"
        let python = try Command.run("python3", ["-c", script], input: text)
        try #require(python.status == 0, "\(python.stderr)")
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [String: Any])
        for (index, string) in Self.strings.enumerated() {
            var node = decoded["case\(index)"] as? [String: Any]
            for depth in stride(from: index % 20, to: 0, by: -1) { node = node?["level\(depth)"] as? [String: Any] }
            #expect(node?["value"] as? String == string, "\(string.debugDescription)")
        }
    }

    /// An embedded file (the ConfigMap's matrix.yaml) is written for the column its block starts at.
    @Test func anEmbeddedBodyFitsWhereItIsIndented() throws {
        let matrix = try BuildMatrix(entries: [
            .init(samBaseImage: node, version: "1.1.3", targetRepo: "registry.example.com/a/very/long/repository/path/aws-sam-plugin"),
            .init(samBaseImage: python),
        ])
        let text = YAMLWriter.document(.map([("data", .map([("matrix.yaml", .block(YAMLWriter.body(matrix.yamlValue, margin: 4)))]))]))
        let lint = try Command.run("yamllint", ["--strict", "-f", "parsable", "-d", "default", "-"], input: text)
        #expect(lint.status == 0, "\(lint.stdout)\n\(text)")
        let embedded = try #require(try Yams.compose(yaml: text)?["data"]?["matrix.yaml"]?.string)
        #expect(try BuildMatrix.parse(embedded, source: "m.yaml") == matrix)
    }
}
