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
