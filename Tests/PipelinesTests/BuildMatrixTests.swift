import Foundation
import Testing
import TestSupport
@testable import Pipelines

let node = "public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64"
let python = "public.ecr.aws/sam/build-python3.12:1.143.0-20250822194415-x86_64"

struct AcceptedMatrix: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let entries: [BuildMatrix.Entry]
    var testDescription: String { name }
}

let acceptedMatrices: [AcceptedMatrix] = [
    .init(name: "images list of strings", text: "images:\n  - \(node)\n  - \(python)\n",
          entries: [.init(samBaseImage: node), .init(samBaseImage: python)]),
    .init(name: "bare list", text: "- \(node)\n- \(python)\n", entries: [.init(samBaseImage: node), .init(samBaseImage: python)]),
    .init(name: "flow list", text: "[\(node), '\(python)']", entries: [.init(samBaseImage: node), .init(samBaseImage: python)]),
    .init(name: "mapping entries with every override",
          text: """
          images:
            - sam-base-image: \(node)
              version: 1.1.3
              target-repo: registry.example.com/team/aws-sam-plugin
              plugin-image: harness/aws-sam-plugin:1.1.3-beta-base-image
            - \(python)
          """,
          entries: [.init(samBaseImage: node, version: "1.1.3", targetRepo: "registry.example.com/team/aws-sam-plugin",
                          pluginImage: "harness/aws-sam-plugin:1.1.3-beta-base-image"),
                    .init(samBaseImage: python)]),
    .init(name: "quoted numeric-looking version", text: "- {sam-base-image: \(node), version: \"2\"}\n",
          entries: [.init(samBaseImage: node, version: "2")]),
    .init(name: "JSON object", text: "{\"images\": [\"\(node)\", {\"sam-base-image\": \"\(python)\", \"target-repo\": \"r.example/x\"}]}",
          entries: [.init(samBaseImage: node), .init(samBaseImage: python, targetRepo: "r.example/x")]),
    .init(name: "JSON with tabs and newlines", text: "{\n\t\"images\":\t[\n\t\t\"\(node)\"\n\t]\n}\n", entries: [.init(samBaseImage: node)]),
    .init(name: "JSON bare list", text: "[\"\(node)\"]", entries: [.init(samBaseImage: node)]),
    .init(name: "comments and document marker", text: "---\n# the release's runtimes\nimages:\n  - \(node)  # node\n",
          entries: [.init(samBaseImage: node)]),
    .init(name: "aliases resolve to their anchor", text: "images:\n  - &n \(node)\n  - {sam-base-image: *n, version: '2.0.0'}\n",
          entries: [.init(samBaseImage: node), .init(samBaseImage: node, version: "2.0.0")]),
]

struct RejectedMatrix: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    /// Fragments the one-line message must contain.
    let fragments: [String]
    var testDescription: String { name }
}

let rejectedMatrices: [RejectedMatrix] = [
    .init(name: "empty file", text: "", fragments: ["m.yaml: empty file"]),
    .init(name: "comment only", text: "# nothing\n", fragments: ["empty file"]),
    .init(name: "empty list", text: "images: []\n", fragments: ["images list is empty"]),
    .init(name: "empty bare list", text: "[]", fragments: ["images list is empty"]),
    .init(name: "misspelt entry key", text: "- sam-base-image: \(node)\n  verison: '1.0.0'\n",
          fragments: ["entry 0 (line 1)", "unknown key \"verison\"; did you mean \"version\"?"]),
    .init(name: "unknown top-level key", text: "images: [\(node)]\nruntimes: [x]\n", fragments: ["unknown key \"runtimes\"", "line 2"]),
    .init(name: "mapping without images", text: "image: \(node)\n", fragments: ["unknown key \"image\""]),
    .init(name: "images is a string", text: "images: \(node)\n", fragments: ["images (line 1) must be a list, not a string"]),
    .init(name: "images is a mapping", text: "images: {a: b}\n", fragments: ["images", "must be a list, not a mapping"]),
    .init(name: "root is a string", text: "\(node)\n", fragments: ["not a string"]),
    .init(name: "root is a number", text: "3\n", fragments: ["not a number"]),
    .init(name: "unknown entry key names it and the entry", text: "images:\n  - \(node)\n  - sam-base-image: \(python)\n    tag: x\n",
          fragments: ["entry 1 (line 3)", "unknown key \"tag\"", "sam-base-image, version, target-repo, plugin-image"]),
    .init(name: "entry without sam-base-image", text: "- version: '1.0.0'\n", fragments: ["entry 0", "sam-base-image is required"]),
    .init(name: "entry is a list", text: "- [\(node)]\n", fragments: ["entry 0", "not a list"]),
    .init(name: "entry is a number", text: "- 12\n", fragments: ["entry 0", "sam-base-image must be a string, not a number \"12\""]),
    .init(name: "entry is null", text: "-\n", fragments: ["entry 0", "not null"]),
    .init(name: "unquoted float version", text: "- {sam-base-image: \(node), version: 1.10}\n",
          fragments: ["entry 0", "version must be a string, not a number \"1.10\" (quote it)"]),
    .init(name: "boolean value", text: "- {sam-base-image: \(node), target-repo: yes}\n", fragments: ["target-repo must be a string, not a boolean"]),
    .init(name: "null value", text: "- {sam-base-image: \(node), version: }\n", fragments: ["version must be a string, not null"]),
    .init(name: "nested value", text: "- {sam-base-image: \(node), plugin-image: [a]}\n", fragments: ["plugin-image must be a string, not a list"]),
    .init(name: "empty string", text: "- ''\n", fragments: ["entry 0", "sam-base-image is empty"]),
    .init(name: "whitespace inside", text: "- \"a b\"\n", fragments: ["contains whitespace"]),
    .init(name: "newline inside", text: "- \"a\\nb\"\n", fragments: ["contains whitespace or control characters"]),
    .init(name: "repeated entry", text: "- \(node)\n- \(python)\n- \(node)\n", fragments: ["entry 2 (line 3) repeats entry 0 (line 1)"]),
    .init(name: "duplicate key", text: "images: [\(node)]\nimages: [\(python)]\n", fragments: ["\"images\" appears twice"]),
    .init(name: "duplicate entry key", text: "- {sam-base-image: \(node), sam-base-image: \(python)}\n", fragments: ["appears twice"]),
    .init(name: "two documents", text: "- \(node)\n---\n- \(python)\n", fragments: ["not valid YAML: more than one document (line 2"]),
    .init(name: "syntax error", text: "images: [\(node)\n", fragments: ["not valid YAML"]),
    .init(name: "bad indentation", text: "images:\n  - a\n - b\n", fragments: ["not valid YAML", "line 3"]),
    .init(name: "tab indentation", text: "images:\n\t- \(node)\n", fragments: ["not valid YAML"]),
    .init(name: "undefined alias", text: "- *nothing\n", fragments: ["not valid YAML"]),
    .init(name: "deep nesting", text: "images: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000),
          fragments: ["not valid YAML: nested too deeply"]),
    .init(name: "deep block nesting", text: "images:\n" + String(repeating: "- ", count: 5000) + "x\n", fragments: ["not valid YAML: nested too deeply"]),
]

@Suite("Build matrix files")
struct BuildMatrixTests {
    @Test(arguments: acceptedMatrices)
    func accepts(_ case_: AcceptedMatrix) throws {
        let matrix = try BuildMatrix.parse(case_.text, source: "m.yaml")
        #expect(matrix.entries == case_.entries)
    }

    @Test(arguments: rejectedMatrices)
    func rejectsWithOneLine(_ case_: RejectedMatrix) throws {
        let error = try #require(throws: BuildMatrixError.self) { try BuildMatrix.parse(case_.text, source: "m.yaml") }
        #expect(error.message.hasPrefix("m.yaml: "), "\(error.message)")
        #expect(!error.message.contains("\n"), "\(error.message)")
        #expect(error.message.count < 300, "\(error.message)")
        for fragment in case_.fragments {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    /// Every accepted matrix, written by samforge (the ConfigMap's matrix.yaml), reads back equal.
    @Test(arguments: acceptedMatrices)
    func writtenMatrixReadsBackEqual(_ case_: AcceptedMatrix) throws {
        let matrix = try BuildMatrix.parse(case_.text)
        #expect(try BuildMatrix.parse(matrix.yaml) == matrix)
    }

    @Test func hostileAliasExpansionIsBoundedByTheShape() throws {
        // A billion-laughs document: composing shares the nodes; the entry check stops at the
        // first list instead of walking them.
        var text = "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        for (name, previous) in zip("bcdefghi", "abcdefgh") {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ",") + "]\n"
        }
        let error = try #require(throws: BuildMatrixError.self) { try BuildMatrix.parse(text + "images: *i\n") }
        #expect(error.message.contains("unknown key \"a\""))
        let bare = try #require(throws: BuildMatrixError.self) { try BuildMatrix.parse("- &a [x,x,x]\n- [*a,*a,*a]\n") }
        #expect(bare.message.contains("entry 0"))
    }

    @Test func indexSelectsOneEntryOrAll() throws {
        let matrix = try BuildMatrix(bases: [node, python])
        #expect(try matrix.entry(at: 1) == .init(samBaseImage: python))
        #expect(try matrix.selection(nil) == matrix.entries)
        #expect(try matrix.selection(0) == [.init(samBaseImage: node)])
        for index in [2, -1, Int.max, Int.min] {
            let error = try #require(throws: BuildMatrixError.self) { try matrix.entry(at: index) }
            #expect(error.message == "out of range: the matrix has 2 entries (0-1)")
        }
        let single = try BuildMatrix(bases: [node])
        let error = try #require(throws: BuildMatrixError.self) { try single.entry(at: 1) }
        #expect(error.message == "out of range: the matrix has 1 entry (index 0)")
    }

    struct IndexCase: Sendable, CustomTestStringConvertible {
        let explicit: Int?
        let environment: String?
        let expected: Int??  // .some(nil): every entry; nil: an error
        var testDescription: String { "explicit \(explicit.map(String.init) ?? "-") env \(environment ?? "-")" }
    }

    @Test(arguments: [
        IndexCase(explicit: nil, environment: nil, expected: .some(nil)),
        IndexCase(explicit: 3, environment: nil, expected: 3),
        IndexCase(explicit: 1, environment: "0", expected: 1),  // --matrix-index wins
        IndexCase(explicit: nil, environment: "0", expected: 0),
        IndexCase(explicit: nil, environment: "17", expected: 17),
        IndexCase(explicit: nil, environment: "", expected: nil),
        IndexCase(explicit: nil, environment: "-1", expected: nil),
        IndexCase(explicit: nil, environment: "1.0", expected: nil),
        IndexCase(explicit: nil, environment: " 1", expected: nil),
        IndexCase(explicit: nil, environment: "١", expected: nil),  // a non-ASCII digit
        IndexCase(explicit: nil, environment: "99999999999999999999", expected: nil),
    ])
    func selectedIndex(_ case_: IndexCase) throws {
        let environment = case_.environment.map { [BuildMatrix.jobIndexVariable: $0] } ?? [:]
        if let expected = case_.expected {
            #expect(try BuildMatrix.selectedIndex(explicit: case_.explicit, environment: environment) == expected)
        } else {
            let error = try #require(throws: BuildMatrixError.self) {
                try BuildMatrix.selectedIndex(explicit: case_.explicit, environment: environment)
            }
            #expect(error.message.hasPrefix("JOB_COMPLETION_INDEX \""), "\(error.message)")
        }
    }

    @Test func filesAreReadWithABound() throws {
        let directory = try TemporaryDirectory().path
        let path = directory + "/matrix.yaml"
        try "images: [\(node)]\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try BuildMatrix.load(path: path).entries == [.init(samBaseImage: node)])

        let missing = try #require(throws: BuildMatrixError.self) { try BuildMatrix.load(path: directory + "/none.yaml") }
        #expect(missing.message == "\(directory)/none.yaml: no such readable file")
        let huge = directory + "/huge.yaml"
        try Data(count: BuildMatrix.maximumFileSize + 1).write(to: URL(fileURLWithPath: huge))
        #expect(throws: BuildMatrixError("\(huge): larger than 1024 KiB; a matrix file lists image references")) {
            try BuildMatrix.load(path: huge)
        }
        // An endless source is refused after the bound, not read to its end.
        #expect(throws: BuildMatrixError("/dev/zero: larger than 1024 KiB; a matrix file lists image references")) {
            try BuildMatrix.load(path: "/dev/zero")
        }
        let binary = directory + "/binary.yaml"
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: binary))
        #expect(throws: BuildMatrixError("\(binary): not UTF-8 text")) { try BuildMatrix.load(path: binary) }
        #expect(throws: BuildMatrixError.self) { try BuildMatrix.load(path: directory) }
    }

    @Test func valuesAreCheckedWhenBuiltInCode() throws {
        #expect(throws: BuildMatrixError("the matrix has no entries")) { try BuildMatrix(bases: []) }
        #expect(throws: BuildMatrixError("entry 1: sam-base-image is empty")) { try BuildMatrix(bases: [node, ""]) }
        #expect(throws: BuildMatrixError("entry 0: version \"1 0\" contains whitespace or control characters")) {
            try BuildMatrix(entries: [.init(samBaseImage: node, version: "1 0")])
        }
    }
}
