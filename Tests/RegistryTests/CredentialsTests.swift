import Foundation
import TestSupport
import Testing
@testable import Registry

@Suite("docker config.json credentials")
struct CredentialsTests {
    func write(_ json: String) throws -> String {
        let directory = try TemporaryDirectory().path
        try json.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        return directory + "/config.json"
    }

    @Test func readsBase64AuthEntries() throws {
        let auth = Data("alice:s3cr:et".utf8).base64EncodedString()
        let path = try write(#"{"auths":{"registry.example.com:5000":{"auth":"\#(auth)"}}}"#)
        let credentials = try DockerConfigCredentials(path: path).credentials(for: "registry.example.com:5000")
        #expect(credentials?.username == "alice")
        #expect(credentials?.password == "s3cr:et")  // only the first ':' separates
    }

    @Test func matchesURLStyleKeysAndDockerHub() throws {
        let auth = Data("bob:pw".utf8).base64EncodedString()
        let path = try write(#"{"auths":{"https://ghcr.io/v1/":{"auth":"\#(auth)"},"https://index.docker.io/v1/":{"username":"hub","password":"hubpw"}}}"#)
        let source = DockerConfigCredentials(path: path)
        #expect(try source.credentials(for: "ghcr.io")?.username == "bob")
        #expect(try source.credentials(for: "registry-1.docker.io")?.username == "hub")
        #expect(try source.credentials(for: "quay.io") == nil)
    }

    @Test func malformedFilesAreClearErrors() throws {
        let path = try write("{not json")
        #expect(throws: CredentialError.self) { try DockerConfigCredentials(path: path).credentials(for: "x") }
        let badAuth = try write(#"{"auths":{"x":{"auth":"%%%"}}}"#)
        #expect(throws: CredentialError.self) { try DockerConfigCredentials(path: badAuth).credentials(for: "x") }
    }

    @Test func missingFileMeansAnonymous() throws {
        #expect(try DockerConfigCredentials(path: "/nonexistent/config.json").credentials(for: "x") == nil)
    }

    @Test func defaultPathFollowsDockerAndPodmanVariables() {
        #expect(DockerConfigCredentials.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.docker/config.json")
        #expect(DockerConfigCredentials.defaultPath(environment: ["HOME": "/h", "DOCKER_CONFIG": "/cfg"]) == "/cfg/config.json")
        #expect(DockerConfigCredentials.defaultPath(environment: ["REGISTRY_AUTH_FILE": "/run/auth.json", "DOCKER_CONFIG": "/cfg"]) == "/run/auth.json")
    }

    @Test func overridesWinForTheirHostOnly() throws {
        let auth = Data("file:pw".utf8).base64EncodedString()
        let path = try write(#"{"auths":{"a.io":{"auth":"\#(auth)"},"b.io":{"auth":"\#(auth)"}}}"#)
        let layered = LayeredCredentials(overrides: ["a.io": Credentials(username: "env", password: "x")],
                                         fallback: DockerConfigCredentials(path: path))
        #expect(try layered.credentials(for: "a.io")?.username == "env")
        #expect(try layered.credentials(for: "b.io")?.username == "file")
    }

    @Test func descriptionNeverShowsTheSecret() {
        let credentials = Credentials(username: "u", password: "hunter2")
        #expect(!credentials.description.contains("hunter2"))
        #expect(!String(describing: credentials).contains("hunter2"))
    }

    /// `login` writes one spelling of the host: older ones (`https://host/v1/`) go, so no stale
    /// password can answer a later lookup; a symlinked config.json stays a symlink.
    @Test func savingReplacesEveryStaleSpellingThroughASymlink() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("samforge-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let real = directory + "/real.json", link = directory + "/config.json"
        let stale = Data("old:secret".utf8).base64EncodedString()
        try #"{"auths":{"https://r.example.com/v1/":{"auth":"\#(stale)"},"other.example.com":{"auth":"eDp5"}},"psFormat":"table"}"#
            .write(toFile: real, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)

        let location = try CredentialStore(path: link).save(Credentials(username: "new", password: "rotated"), for: "r.example.com")
        #expect(location == .file(link))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == real)
        let found = try DockerConfigCredentials(path: link).credentials(for: "r.example.com")
        #expect(found?.username == "new" && found?.password == "rotated")
        let text = try String(contentsOfFile: real, encoding: .utf8)
        #expect(!text.contains(stale) && text.contains("other.example.com") && text.contains("psFormat"))

        #expect(try CredentialStore(path: link).remove(host: "r.example.com") == .file(link))
        #expect(try DockerConfigCredentials(path: link).credentials(for: "r.example.com") == nil)
        #expect(try CredentialStore(path: link).remove(host: "r.example.com") == nil)
    }
}
