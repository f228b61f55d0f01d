import Foundation
import Testing
import TestSupport

/// `build`/`append --sign-key`, `sign`, plugin mode's PLUGIN_SIGN_KEY: what samforge signs
/// verifies in samforge and in the independent implementation of cosign's checks
/// (scripts/cosign-verify.py), at the registry and in layouts, for an index and each child,
/// with the SBOM and provenance as signed attestations.
@Suite("Signing what samforge writes", .enabled(if: TestWorld.available))
struct SignedPublicationTests {
    static let spdx = "https://spdx.dev/Document", slsa = "https://slsa.dev/provenance/v1"

    /// A key pair samforge generates (password "pw"), in a directory of its own.
    static func keys() throws -> String {
        let directory = try TemporaryDirectory().path
        var environment = ProcessInfo.processInfo.environment
        environment["COSIGN_PASSWORD"] = "pw"
        try #require(try Command.run(Command.samforgePath, ["generate-key-pair"], environment: environment, workingDirectory: directory).status == 0)
        return directory
    }

    /// `http://HOST/REPO` (plain registry) or `oci:DIR` for the Python verifier.
    static func pythonLocation(_ target: String) -> String {
        if target.hasPrefix("oci:") { return "oci:" + String(target.dropFirst(4).split(separator: ":").first ?? "") }
        return "http://" + (target.split(separator: "@").first.map(String.init) ?? target).replacingOccurrences(of: #":[^:/]+$"#, with: "", options: .regularExpression)
    }

    /// The index's children digests, from its bytes.
    static func children(_ reference: String) throws -> [String] {
        let index = try BuildHarness.json(try CopyKit.succeed(["manifest", reference]).stdout)
        return (index["manifests"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
    }

    /// Python verifies `digest`'s signature (and, when asked, its attestations) in exactly `formats`.
    static func expectPython(_ key: String, digest: String, at location: String, attestations: [String] = [], formats: Set<String> = ["legacy", "bundle"]) throws {
        for attestation in [nil] + attestations.map(Optional.some) {
            let result = try CosignPython.run(["verify", "--key", key, "--digest", digest] + (attestation.map { ["--attestation", $0] } ?? []) + [location])
            #expect(result.status == 0, "\(digest) \(attestation ?? "signature"): \(result.stderr)")
            let found = Set(result.stdout.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["format"] as? String
            })
            #expect(found == formats, "\(digest) \(attestation ?? "signature"): \(result.stdout)")
        }
    }

    @Test(arguments: ["registry", "layout"])
    func appendSignsTheIndexEachChildAndTheirAttestations(at kind: String) throws {
        let keys = try Self.keys()
        let target = kind == "registry" ? CopyKit.newRepository("signed-append") + ":1" : "oci:\(try TemporaryDirectory().path)/layout:app:1"
        let file = try TemporaryDirectory().path + "/hello"
        try Data("hi\n".utf8).write(to: URL(fileURLWithPath: file))
        let result = try CopyKit.samforge(["append", "-q", "--platform", "all", "--file", "\(file):/hello", "--sign-key", keys + "/cosign.key",
                                           "\(TestWorld.plain)/\(BuildHarness.nodeList)", target],
                                          environment: ["COSIGN_PASSWORD": "pw", "SOURCE_DATE_EPOCH": BuildHarness.epoch])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains("pw\n"))
        let digest = try #require(result.lastLine.split(separator: "@").last.map(String.init))
        let key = keys + "/cosign.pub", location = Self.pythonLocation(target)
        try Self.expectPython(key, digest: digest, at: location)
        let children = try Self.children(target)
        #expect(children.count == 2)
        for child in children {
            try Self.expectPython(key, digest: child, at: location, attestations: [Self.spdx, Self.slsa])
        }
        // samforge's own verify agrees, for the index and (by digest) a child's attestations.
        try SigningCommandTests.expectVerifies(target, key: key, digest: digest)
        if kind == "registry" {
            let repository = String(target.dropLast(2))
            let sbom = try CopyKit.succeed(["verify", "--json", "--key", key, "--attestation", "spdxjson", "\(repository)@\(children[0])"])
            let verified = try #require(try JSONSerialization.jsonObject(with: Data(sbom.stdout.utf8)) as? [[String: Any]])
            #expect(verified.count == 2)
            // The SBOM is signed as cosign attest --type spdxjson wraps it: the SPDX document is the predicate.
            #expect(verified.allSatisfy { (($0["statement"] as? [String: Any])?["predicate"] as? [String: Any])?["spdxVersion"] as? String == "SPDX-2.3" })
        }
    }

    @Test(arguments: [("legacy", ["legacy"]), ("bundle", ["bundle"])])
    func oneFormatWritesOnlyThatFormat(format: String, expected: [String]) throws {
        let keys = try Self.keys()
        let target = CopyKit.newRepository("format-\(format)") + ":1"
        let file = try TemporaryDirectory().path + "/hello"
        try Data("hi\n".utf8).write(to: URL(fileURLWithPath: file))
        let result = try CopyKit.samforge(["append", "-q", "--file", "\(file):/hello", "--sign-key", keys + "/cosign.key", "--signature-format", format,
                                           "\(TestWorld.plain)/\(BuildHarness.nodeBase)", target], environment: ["COSIGN_PASSWORD": "pw"])
        try #require(result.status == 0, "\(result.stderr)")
        let digest = try #require(result.lastLine.split(separator: "@").last.map(String.init))
        try Self.expectPython(keys + "/cosign.pub", digest: digest, at: Self.pythonLocation(target), attestations: [Self.spdx, Self.slsa], formats: Set(expected))
    }

    /// The same signed append again: the same image, its `.sig` and `.att` keep one layer per
    /// payload and statement, and no second bundle is added (cosign's duplicate check, for
    /// both formats): the referrers are what the first run left, however often it runs.
    @Test(arguments: ["registry", "layout"])
    func aSignedRerunAddsNoSecondSignature(at kind: String) throws {
        let keys = try Self.keys()
        let location = kind == "registry" ? CopyKit.newRepository("signed-again") : "oci:\(try TemporaryDirectory().path)/layout"
        let target = location + (kind == "registry" ? ":1" : ":app:1")
        let file = try TemporaryDirectory().path + "/hello"
        try Data("hi\n".utf8).write(to: URL(fileURLWithPath: file))
        func layers(_ tag: String) throws -> Int {
            let manifest = try BuildHarness.json(try CopyKit.succeed(["manifest", location + ":" + tag]).stdout)
            return (manifest["layers"] as? [Any])?.count ?? 0
        }
        var digests: [String] = [], trees: [String] = []
        for _ in 0..<2 {
            let result = try CopyKit.samforge(["append", "-q", "--file", "\(file):/hello", "--sign-key", keys + "/cosign.key",
                                               "\(TestWorld.plain)/\(BuildHarness.nodeBase)", target],
                                              environment: ["COSIGN_PASSWORD": "pw", "SOURCE_DATE_EPOCH": BuildHarness.epoch])
            try #require(result.status == 0, "\(result.stderr)")
            let digest = try #require(result.lastLine.split(separator: "@").last.map(String.init))
            digests.append(digest)
            let hex = String(digest.dropFirst("sha256:".count))
            #expect(try layers("sha256-\(hex).sig") == 1)
            #expect(try layers("sha256-\(hex).att") == 2)  // the SBOM and the provenance
            trees.append(try CopyKit.succeed(["inspect", "--referrers", target]).stdout)
        }
        #expect(digests[0] == digests[1])
        #expect(trees[0] == trees[1])
        // SBOM, provenance, and the signature and two signed attestations as bundles.
        #expect(trees[1].split(separator: "\n").filter { $0.contains("(cosign bundle)") }.count == 3, "\(trees[1])")
        try Self.expectPython(keys + "/cosign.pub", digest: digests[0], at: Self.pythonLocation(target), attestations: [Self.spdx, Self.slsa])
    }

    /// The SAM build signs too, with the key's text in an environment variable (env://).
    @Test func buildSignsWithAKeyFromTheEnvironment() throws {
        let keys = try Self.keys()
        let target = BuildHarness.newTarget("signed-build")
        let keyText = try String(contentsOfFile: keys + "/cosign.key", encoding: .utf8)
        let result = try BuildHarness.build(target: target, extra: ["--sign-key", "env://SIGNING_KEY"],
                                            environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch, "SIGNING_KEY": keyText, "COSIGN_PASSWORD": "pw"])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains("ENCRYPTED SIGSTORE"))
        let digest = try #require(result.lastLine.split(separator: "@").last.map(String.init))
        try Self.expectPython(keys + "/cosign.pub", digest: digest, at: "http://" + target, attestations: [Self.spdx, Self.slsa])
    }

    @Test(arguments: ["registry", "layout"])
    func signSignsAnExistingImageOnceAndMovesNoTag(at kind: String) throws {
        let keys = try Self.keys()
        let target = kind == "registry" ? CopyKit.newRepository("sign") + ":1" : "oci:\(try TemporaryDirectory().path)/layout:app:1"
        try CopyKit.succeed(["copy", "-q", "\(TestWorld.plain)/\(BuildHarness.nodeList)", target])
        let digest = try CopyKit.fixture(BuildHarness.nodeList).digest
        // A wrong password is one line, exit 1, and nothing is written.
        let wrong = try CopyKit.samforge(["sign", "--key", keys + "/cosign.key", target], environment: ["COSIGN_PASSWORD": "wrong"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr == "samforge: error: \(keys)/cosign.key: wrong password (COSIGN_PASSWORD does not open this key)\n")
        #expect(try CosignPython.run(["verify", "--key", keys + "/cosign.pub", "--digest", digest, Self.pythonLocation(target)]).status == 1)

        let signed = try CopyKit.samforge(["sign", "-q", "--recursive", "--key", keys + "/cosign.key", target], environment: ["COSIGN_PASSWORD": "pw"])
        try #require(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout.split(separator: "\n").count == 6)  // 3 manifests × 2 formats
        try Self.expectPython(keys + "/cosign.pub", digest: digest, at: Self.pythonLocation(target))
        for child in try Self.children(target) { try Self.expectPython(keys + "/cosign.pub", digest: child, at: Self.pythonLocation(target)) }
        #expect(try CopyKit.succeed(["digest", target]).stdout == digest + "\n")
        // Again: the .sig image keeps one layer per key (cosign's duplicate check).
        let again = try CopyKit.samforge(["sign", "-q", "--signature-format", "legacy", "--key", keys + "/cosign.key", target], environment: ["COSIGN_PASSWORD": "pw"])
        #expect(again.status == 0 && again.stdout.contains("already signed with this key"), "\(again.stdout)\(again.stderr)")
        // Both formats (the default): both are there already, the bundle too (its envelope is
        // this key's over the same statement), so nothing is written.
        let both = try CopyKit.samforge(["sign", "-q", "--key", keys + "/cosign.key", target], environment: ["COSIGN_PASSWORD": "pw"])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdout.split(separator: "\n").count == 1 && both.stdout.hasSuffix("@\(digest): already signed with this key\n"), "\(both.stdout)")
        // A bundle only where the legacy format was asked before: the bundle is new, the legacy
        // signature said to be there already.
        let other = CopyKit.newRepository("sign-mixed") + ":1"
        try CopyKit.succeed(["copy", "-q", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", other])
        let single = try CopyKit.fixture(BuildHarness.nodeBase).digest
        // The image signed is there already: its manifest is neither written nor said to be.
        let third = CopyKit.newRepository("sign-progress") + ":1"
        try CopyKit.succeed(["copy", "-q", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", third])
        let progress = try CopyKit.samforge(["sign", "--key", keys + "/cosign.key", third], environment: ["COSIGN_PASSWORD": "pw"])
        #expect(progress.status == 0, "\(progress.stderr)")
        #expect(!progress.stderr.contains("manifest \(single.dropFirst("sha256:".count).prefix(12))"), "\(progress.stderr)")
        try #require(try CopyKit.samforge(["sign", "-q", "--signature-format", "legacy", "--key", keys + "/cosign.key", other],
                                          environment: ["COSIGN_PASSWORD": "pw"]).status == 0)
        let mixed = try CopyKit.samforge(["sign", "-q", "--key", keys + "/cosign.key", other], environment: ["COSIGN_PASSWORD": "pw"])
        let lines = mixed.stdout.split(separator: "\n")
        #expect(mixed.status == 0 && lines.count == 2 && lines[0].contains("@\(single): bundle signature sha256:")
                && lines[1].hasSuffix("@\(single): legacy signature already there (already signed with this key)"), "\(mixed.stdout)\(mixed.stderr)")
    }

    @Test func aDockerArchiveTargetIsRefusedBeforeAnyTraffic() throws {
        let keys = try Self.keys()
        let archive = try TemporaryDirectory().path + "/image.tar"
        let file = try TemporaryDirectory().path + "/hello"
        try Data("hi\n".utf8).write(to: URL(fileURLWithPath: file))
        let result = try CopyKit.samforge(["append", "--file", "\(file):/hello", "--sign-key", keys + "/cosign.key",
                                           "\(TestWorld.plain)/\(BuildHarness.nodeBase)", "docker-archive:\(archive)"], environment: ["COSIGN_PASSWORD": "pw"])
        #expect(result.status == 2)
        #expect(CopyKit.errorLine(result).contains("keeps no signatures (a docker archive)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: archive))
    }

    /// Plugin mode: PLUGIN_SIGN_KEY is the key's text (a CI secret), PLUGIN_SIGN_KEY_PASSWORD its
    /// password; neither reaches argv or the output.
    @Test func pluginModeSignsWithTheKeyFromItsSecret() throws {
        let keys = try Self.keys()
        let target = BuildHarness.newTarget("signed-plugin")
        let keyText = try String(contentsOfFile: keys + "/cosign.key", encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PLUGIN_") }
        environment["PLUGIN_SAM_BASE_IMAGE"] = "\(TestWorld.plain)/\(BuildHarness.nodeBase)"
        environment["PLUGIN_PLUGIN_IMAGE"] = "\(TestWorld.plain)/\(BuildHarness.plugin)"
        environment["PLUGIN_VERSION"] = "1.1.2"
        environment["PLUGIN_TARGET_REPO"] = target
        environment["PLUGIN_GO_TEMPLATE"] = TestWorld.goTemplateURL
        environment["PLUGIN_DOCKER_CLI_IMAGE"] = "\(TestWorld.plain)/\(BuildHarness.dockerCLI)"
        environment["PLUGIN_CACHE_DIR"] = try TemporaryDirectory().path
        environment["PLUGIN_SIGN_KEY"] = keyText
        environment["PLUGIN_SIGN_KEY_PASSWORD"] = "pw"
        environment["COSIGN_PASSWORD"] = nil
        let result = try Command.run(Command.samforgePath, [], environment: environment)
        try #require(result.status == 0, "\(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains("ENCRYPTED SIGSTORE") && !result.stderr.contains("PLUGIN_SIGN_KEY_PASSWORD"))
        let digest = try #require(result.lastLine.split(separator: "@").last.map(String.init))
        try Self.expectPython(keys + "/cosign.pub", digest: digest, at: "http://" + target, attestations: [Self.spdx, Self.slsa])
    }
}
