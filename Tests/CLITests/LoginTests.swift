import Foundation
import Testing
import TestSupport

/// `samforge login` / `logout` against the basic-auth and token registries: credentials are
/// checked before they are saved, saved where docker looks (or given to a credential helper),
/// used by later commands, and removed again; the rest of config.json is kept.
@Suite("login and logout", .enabled(if: TestWorld.available))
struct LoginTests {
    struct Registry: Sendable, CustomTestStringConvertible {
        var host: String, user: String, password: String
        var testDescription: String { host == TestWorld.basic ? "basic auth" : "token auth" }
    }
    static var registries: [Registry] {
        [Registry(host: TestWorld.basic, user: TestWorld.basicUser, password: TestWorld.basicPassword),
         Registry(host: TestWorld.token, user: TestWorld.tokenUser, password: TestWorld.tokenPassword)]
    }

    static func samforge(_ arguments: [String], config: String, input: String? = nil, path: String? = nil) throws -> CommandResult {
        var environment = ["DOCKER_CONFIG": config, "DOCKER_USERNAME": "", "DOCKER_PASSWORD": "", "REGISTRY_AUTH_FILE": ""]
        if let path { environment["PATH"] = path }
        return try Command.samforge(arguments, environment: environment, input: input)
    }

    static func config(_ directory: String) throws -> [String: Any] {
        try CopyKit.json(String(contentsOfFile: directory + "/config.json", encoding: .utf8))
    }

    /// A config.json naming `docker-credential-NAME` for `host`, that helper as a shell script in
    /// `directory/bin`; returns the PATH that finds it.
    static func installHelper(_ name: String, for host: String, in directory: String, script: String) throws -> String {
        try "{\"credHelpers\":{\"\(host)\":\"\(name)\"}}".write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        let bin = directory + "/bin", helper = directory + "/bin/docker-credential-\(name)"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try Executable.write("#!/bin/sh\n\(script)\n", to: helper)
        return bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }

    @Test(arguments: registries)
    func loginSavesWorkingCredentialsAndLogoutRemovesThem(registry: Registry) throws {
        let directory = try CopyKit.temporaryDirectory()
        // Whatever else config.json holds survives both commands.
        try #"{"auths":{"other.example.com":{"auth":"eDp5"}},"psFormat":"table"}"#
            .write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)

        let login = try Self.samforge(["login", "-u", registry.user, "--password-stdin", registry.host], config: directory,
                                      input: registry.password + "\n")
        try #require(login.status == 0, "\(login.stderr)")
        #expect(login.lastLine == "logged in to \(registry.host) (credentials in \(directory)/config.json)")
        let auths = try #require(try Self.config(directory)["auths"] as? [String: Any])
        let saved = try #require((auths[registry.host] as? [String: Any])?["auth"] as? String)
        #expect(Data(base64Encoded: saved).map { String(decoding: $0, as: UTF8.self) } == "\(registry.user):\(registry.password)")
        #expect(auths["other.example.com"] != nil)
        #expect(try Self.config(directory)["psFormat"] as? String == "table")
        let mode = try FileManager.default.attributesOfItem(atPath: directory + "/config.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // The saved credentials push.
        let target = CopyKit.newRepository("login", host: registry.host) + ":1"
        let copy = try Self.samforge(["copy", "-q", "\(TestWorld.plain)/\(CopyTests.nodeAMD64)", target], config: directory)
        #expect(copy.status == 0, "\(copy.stderr)")

        let logout = try Self.samforge(["logout", registry.host], config: directory)
        #expect(logout.status == 0)
        #expect(logout.lastLine == "removed credentials for \(registry.host) from \(directory)/config.json")
        #expect((try Self.config(directory)["auths"] as? [String: Any])?[registry.host] == nil)
        #expect((try Self.config(directory)["auths"] as? [String: Any])?["other.example.com"] != nil)
        let again = try Self.samforge(["copy", "-q", "\(TestWorld.plain)/\(CopyTests.nodeAMD64)", target], config: directory)
        #expect(again.status == 1)
        #expect(CopyKit.errorLine(again).contains("authentication required by \(registry.host)"), "\(again.stderr)")
    }

    @Test(arguments: registries)
    func wrongPasswordIsRefusedAndNothingIsSaved(registry: Registry) throws {
        let directory = try CopyKit.temporaryDirectory()
        let login = try Self.samforge(["login", "-u", registry.user, "--password-stdin", registry.host], config: directory,
                                      input: "not-the-password\n")
        #expect(login.status == 1)
        let line = CopyKit.errorLine(login)
        #expect(line.hasPrefix("samforge: error: authentication failed for \(registry.host): ") && line.hasSuffix("invalid username or password"), "\(line)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/config.json"))
        #expect(!login.stderr.contains("not-the-password"))
    }

    @Test(arguments: [
        (["login", "--password-stdin", "localhost:1"], "login needs --username USER (or -u USER)"),
        (["login", "-u", "me", "--password-stdin", "localhost:1"], "--password-stdin read an empty password: pipe it in"),
        (["login", "-u", "me", "localhost:1"], "give the password on stdin with --password-stdin"),
        (["login", "-u", "me", "--password-stdin", "bad host/"], "\"bad host/\" is not a registry host"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        let result = try Self.samforge(arguments, config: try CopyKit.temporaryDirectory(), input: "")
        #expect(result.status == 2)
        #expect(CopyKit.errorLine(result).contains(message), "\(result.stderr)")
    }

    /// A credHelpers entry sends the credentials to `docker-credential-NAME store` / `erase`
    /// (here a tiny helper that records its stdin) instead of config.json.
    @Test func credentialHelperStoresAndErases() throws {
        let directory = try CopyKit.temporaryDirectory()
        let host = TestWorld.basic
        let path = try Self.installHelper("samforge-test", for: host, in: directory, script: "cat > \"\(directory)/helper-$1\"")

        let login = try Self.samforge(["login", "-u", TestWorld.basicUser, "--password-stdin", host], config: directory,
                                      input: TestWorld.basicPassword, path: path)
        try #require(login.status == 0, "\(login.stderr)")
        #expect(login.lastLine == "logged in to \(host) (credentials in credential helper docker-credential-samforge-test)")
        let stored = try CopyKit.json(String(contentsOfFile: directory + "/helper-store", encoding: .utf8))
        #expect(stored["ServerURL"] as? String == host)
        #expect(stored["Username"] as? String == TestWorld.basicUser)
        #expect(stored["Secret"] as? String == TestWorld.basicPassword)
        #expect(try Self.config(directory)["auths"] == nil)

        let logout = try Self.samforge(["logout", host], config: directory, path: path)
        #expect(logout.status == 0)
        #expect(try String(contentsOfFile: directory + "/helper-erase", encoding: .utf8) == host)
    }

    /// A credential helper (ecr-login calls AWS each time) runs once per registry and run, not
    /// once per request: here a copy of several blobs to the basic-auth registry.
    @Test func credentialHelperRunsOncePerRun() throws {
        let directory = try CopyKit.temporaryDirectory()
        let host = TestWorld.basic
        let reply = "{\"Username\":\"\(TestWorld.basicUser)\",\"Secret\":\"\(TestWorld.basicPassword)\"}"
        // It never reads its stdin (the host): writing to it must not kill samforge with SIGPIPE.
        let path = try Self.installHelper("samforge-count", for: host, in: directory,
                                          script: "exec 0<&-\necho \"$1\" >> \"\(directory)/calls\"\necho '\(reply)'")

        let target = CopyKit.newRepository("helper-once", host: host) + ":1"
        let copy = try Self.samforge(["copy", "-q", "\(TestWorld.plain)/\(CopyTests.nodeAMD64)", target], config: directory, path: path)
        #expect(copy.status == 0, "\(copy.stderr)")
        #expect(try String(contentsOfFile: directory + "/calls", encoding: .utf8) == "get\n")
    }
}
