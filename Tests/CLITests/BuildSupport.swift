import Foundation
import Testing
import TestSupport

/// Runs `samforge build` against the test world's fixtures and checks results with independent
/// tools (skopeo, curl, sha256sum, gzip, python's tarfile, umoci, unshare).
enum BuildHarness {
    static let nodeBase = "sam/build-nodejs18.x:1.143.0-20250502200316-x86_64"
    static let nodeList = "sam/build-nodejs18.x:1.143.0"
    static let pythonBase = "sam/build-python3.12:1.143.0-20250822194415-x86_64"
    static let plugin = "harness/aws-sam-plugin:1.1.2-beta-base-image"
    static let dockerCLI = "library/docker:26.0.1-cli"
    static let epoch = "1700000000"

    /// The full argument list for a build from `host`'s fixtures to `target`, with the served
    /// go-template and the fixture docker CLI image, and a private cache directory.
    /// `goTemplate` nil: no --go-template flag; `dockerImage` false: no --docker-cli-image flag
    /// (give --docker-cli-file or --no-docker-cli in `extra`).
    static func arguments(base: String = nodeBase, plugin: String = plugin, target: String, version: String = "1.1.2",
                          host: String = TestWorld.plain, goTemplate: String? = TestWorld.goTemplateURL, dockerImage: Bool = true,
                          extra: [String] = []) throws -> [String] {
        var arguments = ["build", "--sam-base-image", "\(host)/\(base)", "--plugin-image", "\(host)/\(plugin)",
                         "--version", version, "--target-repo", target, "--cache-dir", try TemporaryDirectory().path + "/cache"]
        if let goTemplate { arguments += ["--go-template", goTemplate] }
        if dockerImage { arguments += ["--docker-cli-image", "\(host)/\(dockerCLI)"] }
        return arguments + extra
    }

    static func build(base: String = nodeBase, plugin: String = plugin, target: String, version: String = "1.1.2",
                      host: String = TestWorld.plain, goTemplate: String? = TestWorld.goTemplateURL, dockerImage: Bool = true,
                      extra: [String] = [], environment: [String: String] = ["SOURCE_DATE_EPOCH": epoch]) throws -> CommandResult {
        try Command.samforge(try arguments(base: base, plugin: plugin, target: target, version: version, host: host,
                                           goTemplate: goTemplate, dockerImage: dockerImage, extra: extra),
                             environment: environment)
    }

    /// `TARGET:TAG` of a successful build's last line (`TARGET:TAG@sha256:…`).
    static func taggedReference(_ result: CommandResult) throws -> String {
        try #require(result.lastLine.split(separator: "@").first.map(String.init))
    }

    static func newTarget(_ prefix: String, host: String = TestWorld.plain) -> String {
        "\(host)/\(TestWorld.uniqueRepository(prefix))"
    }

    // MARK: registry views (skopeo)

    static func skopeo(_ arguments: [String], creds: String? = nil) throws -> CommandResult {
        var args = [arguments[0], "--tls-verify=false"]
        if let creds { args += ["--creds", creds] }
        return try Command.run("skopeo", args + arguments.dropFirst())
    }

    static func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(text.prefix(200))")
    }

    static func inspect(_ reference: String, creds: String? = nil) throws -> [String: Any] {
        let result = try skopeo(["inspect", "docker://" + reference], creds: creds)
        try #require(result.status == 0, "skopeo inspect \(reference): \(result.stderr)")
        return try json(result.stdout)
    }

    static func rawManifest(_ reference: String) throws -> [String: Any] {
        let result = try skopeo(["inspect", "--raw", "docker://" + reference])
        try #require(result.status == 0, "skopeo inspect --raw \(reference): \(result.stderr)")
        return try json(result.stdout)
    }

    static func config(_ reference: String) throws -> [String: Any] {
        let result = try skopeo(["inspect", "--config", "docker://" + reference])
        try #require(result.status == 0, "skopeo inspect --config \(reference): \(result.stderr)")
        return try json(result.stdout)
    }

    /// (platform `os/arch[/variant]`, manifest digest) of each entry of the index `reference` names.
    static func childDigests(_ reference: String) throws -> [(platform: String, digest: String)] {
        let index = try rawManifest(reference)
        let entries = try #require(index["manifests"] as? [[String: Any]])
        return try entries.map { entry in
            let platform = try #require(entry["platform"] as? [String: Any])
            let name = [platform["os"], platform["architecture"], platform["variant"]].compactMap { $0 as? String }.joined(separator: "/")
            return (name, try #require(entry["digest"] as? String))
        }
    }

    static func layerDigests(_ manifest: [String: Any]) -> [String] {
        ((manifest["layers"] as? [[String: Any]]) ?? []).compactMap { $0["digest"] as? String }
    }

    /// True when the registry knows no tag at all for `repository` (`host/name`).
    static func hasNoTags(_ repository: String) throws -> Bool {
        let result = try skopeo(["list-tags", "docker://" + repository])
        if result.status != 0 { return true }  // repository unknown
        let tags = try json(result.stdout)["Tags"] as? [String] ?? []
        return tags.isEmpty
    }

    // MARK: blobs (curl, sha256sum, gzip)

    /// Downloads a blob of a plain-HTTP registry to a file.
    static func downloadBlob(_ digest: String, repository: String) throws -> String {
        let slash = try #require(repository.firstIndex(of: "/"))
        let host = repository[..<slash], name = repository[repository.index(after: slash)...]
        let path = try TemporaryDirectory().path + "/blob"
        let result = try Command.run("curl", ["-fsS", "-o", path, "http://\(host)/v2/\(name)/blobs/\(digest)"])
        try #require(result.status == 0, "curl blob \(digest): \(result.stderr)")
        return path
    }

    static func shell(_ script: String, _ arguments: [String] = []) throws -> String {
        let result = try Command.run("/bin/sh", ["-c", script, "sh"] + arguments)
        try #require(result.status == 0, "\(script): \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func sha256(_ path: String) throws -> String { "sha256:" + String(try shell("sha256sum \"$1\"", [path]).prefix(64)) }
    static func uncompressedSHA256(_ path: String) throws -> String { "sha256:" + String(try shell("gzip -dc \"$1\" | sha256sum", [path]).prefix(64)) }

    // MARK: tar listing (python's tarfile, independent of libarchive)

    struct TarEntry: Decodable, Sendable {
        var name: String
        var mode: Int
        var uid: Int
        var gid: Int
        var type: String
        var linkname: String
        var mtime: Int
        var content: String?
    }

    static func tarListing(_ path: String) throws -> [String: TarEntry] {
        let script = """
        import json, sys, tarfile
        out = []
        with tarfile.open(sys.argv[1]) as t:
            for m in t.getmembers():
                kind = {tarfile.DIRTYPE: "dir", tarfile.REGTYPE: "file", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}.get(m.type, "other")
                content = t.extractfile(m).read().decode("utf-8", "replace") if m.isfile() else None
                out.append(dict(name=m.name, mode=m.mode, uid=m.uid, gid=m.gid, type=kind, linkname=m.linkname, mtime=m.mtime, content=content))
        print(json.dumps(out))
        """
        let result = try Command.run("python3", ["-c", script, path])
        try #require(result.status == 0, "tar listing: \(result.stderr)")
        let entries = try JSONDecoder().decode([TarEntry].self, from: Data(result.stdout.utf8))
        return Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
    }
}

extension CommandResult {
    /// The one error line samforge prints on failure.
    var errorLine: String {
        stderr.split(separator: "\n").last { $0.hasPrefix("samforge: error: ") }.map(String.init) ?? ""
    }
}
