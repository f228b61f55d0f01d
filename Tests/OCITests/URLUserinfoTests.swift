import Testing
@testable import OCI

/// Credentials written into a location are found (to be refused and hidden), and nothing
/// that only looks like them is: a digest's `@`, a port's `:`, a layout's or archive's name.
struct URLUserinfoTests {
    static let digest = "sha256:" + String(repeating: "a", count: 64)

    @Test(arguments: [
        ("https://user:hunter2@reg.example.com/app:1", "https://user:***@reg.example.com/app:1", "hunter2", "reg.example.com/app:1"),
        ("docker://user:hunter2@reg.example.com/app", "docker://user:***@reg.example.com/app", "hunter2", "reg.example.com/app"),
        ("https://ghp_token@reg.example.com", "https://***@reg.example.com", "ghp_token", "reg.example.com"),
        ("user:hunter2@reg.example.com:5000/team/app:1", "user:***@reg.example.com:5000/team/app:1", "hunter2", "reg.example.com:5000/team/app:1"),
        ("--sam-base-image=u:p4ss@h.example/a", "--sam-base-image=u:***@h.example/a", "p4ss", "h.example/a"),
    ])
    func credentialsAreFoundAndHidden(_ text: String, _ redacted: String, _ secret: String, _ bare: String) throws {
        let found = try #require(URLUserinfo(in: text))
        #expect(found.redacted == redacted && found.secret == secret && found.bare == bare)
    }

    @Test(arguments: ["alpine@\(digest)", "reg.example.com:5000/team/app@\(digest)", "oci:dir:app@\(digest)",
                      "docker-archive:a.tar:example.test/app@\(digest)", "http://host/a@b", "user@host/app", "reg.example.com/app:1",
                      "https://reg.example.com/app:1"])
    func lookalikesAreNotCredentials(_ text: String) {
        #expect(URLUserinfo(in: text) == nil)
    }
}
