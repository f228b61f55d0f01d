import Foundation
import Testing
import TestSupport

/// Helpers for the copy / inspect / tags CLI tests: samforge runs as a user runs it, and its
/// results are checked with independent tools (skopeo, sha256sum, python, umoci, curl).
enum CopyKit {
    static var plain: String { TestWorld.plain }

    static func fixture(_ name: String) throws -> TestWorld.Fixture {
        try #require(TestWorld.fixtures[name], "fixture \(name) missing from SAMFORGE_TEST_FIXTURES")
    }

    /// `host/test/prefix-xxxxxxxx`: a repository no other test writes.
    static func newRepository(_ prefix: String, host: String = TestWorld.plain) -> String {
        "\(host)/\(TestWorld.uniqueRepository(prefix))"
    }

    static func samforge(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try Command.samforge(arguments, environment: environment)
    }

    /// Runs samforge and requires success.
    @discardableResult
    static func succeed(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let result = try samforge(arguments, environment: environment)
        try #require(result.status == 0, "samforge \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        return result
    }

    static func shell(_ script: String, _ arguments: [String] = []) throws -> String {
        let result = try Command.run("/bin/sh", ["-c", script, "sh"] + arguments)
        try #require(result.status == 0, "\(script) \(arguments): \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// sha256 of the exact bytes skopeo fetches for a location (`docker://…`, `oci:…`).
    static func rawDigest(_ location: String, creds: String? = nil) throws -> String {
        var flags = location.hasPrefix("docker://") ? "--tls-verify=false" : ""
        if creds != nil { flags += " --creds \"$2\"" }
        return "sha256:" + String(try shell("skopeo inspect --raw \(flags) \"$1\" | sha256sum", [location, creds ?? ""]).prefix(64))
    }

    /// `samforge ARGS | sha256sum`: the digest of exactly what samforge printed.
    static func samforgeOutputDigest(_ arguments: [String]) throws -> String {
        "sha256:" + String(try shell("\"$@\" | sha256sum", [Command.samforgePath] + arguments).prefix(64))
    }

    static func skopeo(_ arguments: [String]) throws -> [String: Any] {
        let result = try Command.run("skopeo", arguments)
        try #require(result.status == 0, "skopeo \(arguments.joined(separator: " ")): \(result.stderr)")
        return try json(result.stdout)
    }

    static func skopeoInspect(_ location: String, raw: Bool = false) throws -> [String: Any] {
        try skopeo(["inspect"] + (raw ? ["--raw"] : []) + (location.hasPrefix("docker://") ? ["--tls-verify=false"] : []) + [location])
    }

    static func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(text.prefix(300))")
    }

    static func layerDigests(ofManifest manifest: [String: Any]) -> [String] {
        ((manifest["layers"] as? [[String: Any]]) ?? []).compactMap { $0["digest"] as? String }
    }

    static func configDigest(ofManifest manifest: [String: Any]) -> String? {
        (manifest["config"] as? [String: Any])?["digest"] as? String
    }

    /// The `blobs: N copied (…), N existing, N mounted` summary on stderr.
    struct Summary: Equatable { var copied: Int; var skipped: Int; var mounted: Int }

    static func summary(_ result: CommandResult) throws -> Summary {
        let line = try #require(result.stderr.split(separator: "\n").last { $0.hasPrefix("blobs: ") }, "no summary in: \(result.stderr)")
        let match = try #require(line.firstMatch(of: /^blobs: (\d+) copied \([^)]*\), (\d+) existing, (\d+) mounted$/), "unreadable summary: \(line)")
        return Summary(copied: Int(match.1) ?? -1, skipped: Int(match.2) ?? -1, mounted: Int(match.3) ?? -1)
    }

    /// The `samforge: error: …` line.
    static func errorLine(_ result: CommandResult) -> String {
        result.stderr.split(separator: "\n").last { $0.hasPrefix("samforge: error: ") }.map(String.init) ?? result.stderr
    }

    static func temporaryDirectory() throws -> String { try TemporaryDirectory().path }

    /// `--files` lines with runs of spaces collapsed, for matching columns.
    static func collapsed(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
    }
}
