import Foundation
import Testing
import TestSupport

/// `generate-key-pair`, `verify` and `inspect --referrers` as a user runs them, against the
/// real registries and in OCI layouts, with signatures made by an independent implementation
/// of cosign's formats (scripts/cosign-verify.py, which also checks what samforge writes).
@Suite("Signing: generate-key-pair, verify, inspect --referrers", .enabled(if: TestWorld.available))
struct SigningCommandTests {
    static let image = "sam/build-nodejs18.x:1.143.0"  // a Docker manifest list: the index is what is signed
    static let provenance = "https://slsa.dev/provenance/v1"

    static func python(_ arguments: [String], password: String? = nil) throws -> CommandResult {
        try CosignPython.run(arguments, password: password)
    }

    /// A key pair made by the Python signer, in a directory of its own.
    static func keys() throws -> String {
        let directory = try TemporaryDirectory().path
        try #require(try python(["generate-key-pair", directory], password: "pw").status == 0)
        return directory
    }

    /// The fixture index copied into a new layout as `app:1`; its digest, media type and size.
    static func layout() throws -> (path: String, digest: String, mediaType: String, size: Int) {
        let path = try TemporaryDirectory().path + "/layout"
        try CopyKit.succeed(["copy", "-q", "\(TestWorld.plain)/\(image)", "oci:\(path):app:1"])
        let manifest = try CopyKit.succeed(["manifest", "oci:\(path):app:1"]).stdout
        let fixture = try CopyKit.fixture(image)
        return (path, fixture.digest, try #require(fixture.mediaType), manifest.utf8.count)
    }

    /// Signs (both formats) and attests (both formats) `digest` at `location` with the Python signer.
    static func signEverything(_ keys: String, digest: String, mediaType: String, size: Int, at location: String) throws {
        let statement = keys + "/statement.json"
        let hex = digest.dropFirst("sha256:".count)
        try Data(#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"\#(hex)"}}],"predicateType":"\#(provenance)","predicate":{"builder":{"id":"test"}}}"#.utf8)
            .write(to: URL(fileURLWithPath: statement))
        for format in ["legacy", "bundle"] {
            let common = ["sign", "--key", keys + "/cosign.key", "--digest", digest, "--format", format,
                          "--subject-media-type", mediaType, "--subject-size", String(size)]
            let signed = try python(common + [location], password: "pw")
            try #require(signed.status == 0, "\(signed.stderr)")
            let attested = try python(common + ["--attestation", provenance, "--statement", statement, location], password: "pw")
            try #require(attested.status == 0, "\(attested.stderr)")
        }
    }

    /// `verify` succeeds with one line per format, each naming the digest and where it was.
    static func expectVerifies(_ location: String, key: String, digest: String, attestation: Bool = false,
                               environment: [String: String] = [:], flags: [String] = []) throws {
        let result = try CopyKit.samforge(["verify", "--key", key] + (attestation ? ["--attestation", "slsaprovenance1"] : []) + flags + [location],
                                          environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(result.stdout)")
        let what = attestation ? "\(provenance) attestation" : "signature"
        #expect(lines.contains { $0.contains("@\(digest): legacy \(what) by \(key) verified (tag sha256-") })
        #expect(lines.contains { $0.contains("@\(digest): bundle \(what) by \(key) verified (referrer sha256:") })
    }

    @Test func generateKeyPairWritesCosignsFilesAndNeverOverwrites() throws {
        let directory = try TemporaryDirectory().path
        let password = "s3cret-password-\(UUID().uuidString)"
        var environment = ProcessInfo.processInfo.environment
        environment["COSIGN_PASSWORD"] = password
        let made = try Command.run(Command.samforgePath, ["generate-key-pair"], environment: environment, workingDirectory: directory)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout == "Private key written to cosign.key\nPublic key written to cosign.pub\n")
        #expect(!(made.stdout + made.stderr).contains(password))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/cosign.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let key = try String(contentsOfFile: directory + "/cosign.key", encoding: .utf8)
        #expect(key.hasPrefix("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"))
        // The independent implementation opens it with the password and finds cosign.pub's key.
        let opened = try Self.python(["decrypt-key", directory + "/cosign.key"], password: password)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdout == (try String(contentsOfFile: directory + "/cosign.pub", encoding: .utf8)))
        #expect(try Self.python(["decrypt-key", directory + "/cosign.key"], password: "wrong").status == 1)

        // Existing files are never overwritten; no password and no terminal is one line too.
        let before = try Data(contentsOf: URL(fileURLWithPath: directory + "/cosign.key"))
        let again = try Command.run(Command.samforgePath, ["generate-key-pair"], environment: environment, workingDirectory: directory)
        #expect(again.status == 2)
        #expect(again.stderr == "samforge: error: cosign.key already exists in \(directory): samforge never overwrites a key; move it away or run in another directory\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/cosign.key")) == before)
        environment["COSIGN_PASSWORD"] = nil
        let empty = try TemporaryDirectory().path
        let noPassword = try Command.run(Command.samforgePath, ["generate-key-pair"], environment: environment, workingDirectory: empty)
        #expect(noPassword.status == 2)
        #expect(noPassword.stderr.hasPrefix("samforge: error: generate-key-pair needs a password: set COSIGN_PASSWORD"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)
    }

    enum Registry: String, CaseIterable { case plain, basic, token, tls }

    /// Signatures and attestations in both formats verify in a layout, are carried by `copy`
    /// to every kind of registry, and verify there; at the plain registry the independent
    /// verifier agrees.
    @Test(arguments: Registry.allCases)
    func signaturesVerifyInLayoutsAndAtEveryRegistryAfterACopy(registry: Registry) throws {
        let keys = try Self.keys(), key = keys + "/cosign.pub"
        let layout = try Self.layout()
        try Self.signEverything(keys, digest: layout.digest, mediaType: layout.mediaType, size: layout.size, at: "oci:" + layout.path)
        try Self.expectVerifies("oci:\(layout.path):app:1", key: key, digest: layout.digest)
        try Self.expectVerifies("oci:\(layout.path):app:1", key: key, digest: layout.digest, attestation: true)

        var environment: [String: String] = [:], flags: [String] = [], host = TestWorld.plain
        switch registry {
        case .plain: break
        case .basic:
            host = TestWorld.basic
            environment["DOCKER_CONFIG"] = try TestWorld.dockerConfig(host: host, user: TestWorld.basicUser, password: TestWorld.basicPassword)
        case .token:
            host = TestWorld.token
            environment["DOCKER_CONFIG"] = try TestWorld.dockerConfig(host: host, user: TestWorld.tokenUser, password: TestWorld.tokenPassword)
        case .tls:
            host = TestWorld.tls
            flags = ["--ca-file", TestWorld.caFile]
        }
        let target = CopyKit.newRepository("signed-\(registry.rawValue)", host: host) + ":1"
        try CopyKit.succeed(["copy", "-q"] + flags + ["oci:\(layout.path):app:1", target], environment: environment)
        try Self.expectVerifies(target, key: key, digest: layout.digest, environment: environment, flags: flags)
        try Self.expectVerifies(target, key: key, digest: layout.digest, attestation: true, environment: environment, flags: flags)
        if registry == .plain {
            let repository = String(target.dropLast(2).dropFirst(host.count + 1))
            for attestation in [[], ["--attestation", Self.provenance]] {
                let independent = try Self.python(["verify", "--key", key, "--digest", layout.digest] + attestation + ["http://\(host)/\(repository)"])
                #expect(independent.status == 0, "\(independent.stderr)")
                #expect(independent.stdout.contains("\"legacy\"") && independent.stdout.contains("\"bundle\""))
            }
        }
    }

    /// Signatures the Python signer pushes to the registry itself (no samforge writer on the
    /// way): a second signature appended to the .sig tag, two bundle referrers in the tag schema.
    @Test func signaturesPushedByAnotherToolVerify() throws {
        let keys = try Self.keys(), other = try Self.keys()
        let target = CopyKit.newRepository("pushed") + ":1"
        try CopyKit.succeed(["copy", "-q", "\(TestWorld.plain)/\(Self.image)", target])
        let fixture = try CopyKit.fixture(Self.image)
        let size = try CopyKit.succeed(["manifest", target]).stdout.utf8.count
        let location = "http://\(TestWorld.plain)/\(target.dropLast(2).dropFirst(TestWorld.plain.count + 1))"
        for signer in [other, keys] {
            try Self.signEverything(signer, digest: fixture.digest, mediaType: try #require(fixture.mediaType), size: size, at: location)
        }
        try Self.expectVerifies(target, key: keys + "/cosign.pub", digest: fixture.digest)
        try Self.expectVerifies(target, key: other + "/cosign.pub", digest: fixture.digest, attestation: true)
        let json = try CopyKit.succeed(["verify", "--json", "--key", keys + "/cosign.pub", "--attestation", Self.provenance, target])
        let verified = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(Set(verified.compactMap { $0["format"] as? String }) == ["legacy", "bundle"])
        #expect(verified.allSatisfy { (($0["statement"] as? [String: Any])?["predicate"] as? [String: Any])?["builder"] != nil })

        let referrers = try CopyKit.succeed(["inspect", "--referrers", target]).stdout
        #expect(referrers.contains("├── signature (cosign bundle)") || referrers.contains("└── signature (cosign bundle)"), "\(referrers)")
        #expect(referrers.contains("signed attestation \(Self.provenance) (cosign bundle)"), "\(referrers)")
        #expect(referrers.contains("2 signatures (cosign tag sha256-\(fixture.digest.dropFirst(7)).sig)"), "\(referrers)")
        #expect(referrers.contains("2 signed attestations \(Self.provenance) (cosign tag sha256-\(fixture.digest.dropFirst(7)).att)"), "\(referrers)")
        let view = try #require(try JSONSerialization.jsonObject(with: Data(try CopyKit.succeed(["inspect", "--referrers", "--json", target]).stdout.utf8)) as? [String: Any])
        let nodes = ((view["subjects"] as? [[String: Any]])?.first?["referrers"] as? [[String: Any]]) ?? []
        #expect(Set(nodes.compactMap { ($0["signature"] as? [String: Any]).map { "\($0["kind"] ?? "")/\($0["format"] ?? "")" } })
                == ["signature/bundle", "attestation/bundle", "signature/legacy", "attestation/legacy"])
    }

    /// Each failure is one line on stderr, exit 1 (2 for input to fix).
    @Test func everyFailureIsOneDistinctLine() throws {
        let keys = try Self.keys(), key = keys + "/cosign.pub"
        let layout = try Self.layout()
        let location = "oci:\(layout.path):app:1"
        func run(_ arguments: [String]) throws -> (status: Int32, line: String) {
            let result = try CopyKit.samforge(arguments)
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            return (result.status, CopyKit.errorLine(result))
        }
        var outcome = try run(["verify", "--key", key, location])
        #expect(outcome.status == 1 && outcome.line.contains("has no cosign signature (no sha256-"), "\(outcome.line)")

        try #require(try Self.python(["sign", "--key", keys + "/cosign.key", "--digest", layout.digest, "--format", "legacy", "oci:" + layout.path], password: "pw").status == 0)
        let stranger = try Self.keys() + "/cosign.pub"
        outcome = try run(["verify", "--key", stranger, location])
        #expect(outcome.status == 1 && outcome.line.contains("has 1 cosign signature, none by \(stranger): signed with another key"), "\(outcome.line)")

        // A signature of one of the index's children, placed under the index's own tag.
        let child = try #require(TestWorld.fixtures["sam/build-nodejs18.x:1.143.0-20250502200316-x86_64"]?.digest)
        let moved = try TemporaryDirectory().path + "/moved"
        try CopyKit.succeed(["copy", "-q", "\(TestWorld.plain)/\(Self.image)", "oci:\(moved):app:1"])
        try #require(try Self.python(["sign", "--key", keys + "/cosign.key", "--digest", child, "--format", "legacy", "oci:" + moved], password: "pw").status == 0)
        try CopyKit.shell(#"python3 -c 'import json,sys; p=sys.argv[1]+"/index.json"; i=json.load(open(p)); [e["annotations"].__setitem__("org.opencontainers.image.ref.name", "sha256-"+sys.argv[2]+".sig") for e in i["manifests"] if e.get("annotations",{}).get("org.opencontainers.image.ref.name","").endswith(".sig")]; json.dump(i,open(p,"w"))' "$1" "$2""#,
                          [moved, String(layout.digest.dropFirst(7))])
        outcome = try run(["verify", "--key", key, "oci:\(moved):app:1"])
        #expect(outcome.status == 1 && outcome.line.contains("is of \(child), not of \(layout.digest)"), "\(outcome.line)")

        // The payload blob edited in place in the layout.
        let payload = try CopyKit.shell(#"python3 -c 'import json,sys; p=sys.argv[1]; i=json.load(open(p+"/index.json")); d=[e["digest"] for e in i["manifests"] if e.get("annotations",{}).get("org.opencontainers.image.ref.name","").endswith(".sig")][0]; print(json.load(open(p+"/blobs/sha256/"+d[7:]))["layers"][0]["digest"][7:])' "$1""#, [layout.path])
        try CopyKit.shell(#"sed -i 's/cosign container image signature/cosign container image signaturE/' "$1""#, [layout.path + "/blobs/sha256/" + payload])
        outcome = try run(["verify", "--key", key, location])
        #expect(outcome.status == 1 && outcome.line.contains("the signature's payload was altered or removed"), "\(outcome.line)")

        // Input to fix: exit 2 before any traffic.
        for (arguments, says) in [(["verify", location], "verify needs --key cosign.pub"),
                                  (["verify", "--key", key, "--attestation", "nonsense", location], "--attestation nonsense is neither a URI nor one of cosign's names"),
                                  (["verify", "--key", keys + "/missing.pub", location], "cannot read the key"),
                                  (["verify", "--key", keys + "/cosign.key", location], "is a private key; verifying takes the public key (cosign.pub)"),
                                  (["verify", "--key", key, "docker-archive:/tmp/x.tar"], "a docker archive holds no signatures")] {
            let result = try CopyKit.samforge(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(CopyKit.errorLine(result).contains(says), "\(result.stderr)")
        }
    }
}
