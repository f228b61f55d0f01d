import Foundation
import Testing
import TestSupport

/// The independent checkers (scripts/bootstrap installs them from PyPI): yamllint,
/// check-jsonschema and kubernetes-validate. A missing checker fails the test.
enum Validators {
    static func resource(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources"),
                               "test resource \(name) is missing")
        return url.path
    }

    /// Writes each document to its own file (named by `names`, for readable failures).
    static func files(_ documents: [(name: String, text: String)]) throws -> [String] {
        let directory = try TemporaryDirectory().path
        return try documents.map { document in
            let path = "\(directory)/\(document.name).yaml"
            try document.text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> CommandResult {
        let result = try Command.run(tool, arguments)
        // env(1) exits 127 when the tool is not on PATH.
        try #require(result.status != 127, "\(tool) is not installed: run scripts/bootstrap")
        return result
    }

    /// yamllint --strict with its default configuration (lines up to 80 columns), as a user
    /// runs it on the file, with no configuration of ours.
    static func yamllint(_ files: [String]) throws -> CommandResult {
        try run("yamllint", ["--strict", "-f", "parsable", "-d", "default"] + files)
    }

    static func jsonSchema(_ schema: String, _ files: [String]) throws -> CommandResult {
        try run("check-jsonschema", ["--schemafile", schema] + files)
    }

    static func kubernetesValidate(_ files: [String], version: String) throws -> CommandResult {
        try run("kubernetes-validate", ["--strict", "--kubernetes-version", version] + files)
    }
}
