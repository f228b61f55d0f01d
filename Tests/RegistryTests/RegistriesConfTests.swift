import Testing
@testable import Registry

/// registries.conf (containers-registries.conf(5) v2): which entry a name matches, where its
/// pulls go, what is refused.
@Suite("registries.conf")
struct RegistriesConfTests {
    static let text = """
    unqualified-search-registries = ["docker.io"]

    [[registry]]
    location = "docker.io"
    [[registry.mirror]]
    location = "mirror.corp:5000/hub"
    [[registry.mirror]]
    location = "digests.corp/hub"
    pull-from-mirror = "digest-only"
    [[registry.mirror]]
    location = "tags.corp/hub"
    pull-from-mirror = "tag-only"
    insecure = true

    [[registry]]
    prefix = "docker.io/library/alpine"
    location = "alpine.corp/alpine"

    [[registry]]
    prefix = "example.com/foo"
    location = "internal.example.com/bar"
    mirror-by-digest-only = true
    [[registry.mirror]]
    location = "m.example.com/foo"

    [[registry]]
    location = "blocked.example"
    blocked = true

    [[registry]]
    prefix = "*.wild.test"
    [[registry.mirror]]
    location = "wildmirror.test"
    """

    let conf: RegistriesConf
    init() throws { conf = try RegistriesConf.parse(Self.text, path: "/etc/containers/registries.conf") }

    func names(_ name: String, byDigest: Bool) -> [String] { conf.pullSources(for: name, byDigest: byDigest).map(\.name) }

    @Test func mirrorsInOrderThenThePrimary() {
        #expect(names("docker.io/library/node", byDigest: false) == ["mirror.corp:5000/hub/library/node", "tags.corp/hub/library/node", "docker.io/library/node"])
        #expect(names("docker.io/library/node", byDigest: true) == ["mirror.corp:5000/hub/library/node", "digests.corp/hub/library/node", "docker.io/library/node"])
    }

    @Test func longestPrefixWinsAndRewritesTheLocation() {
        #expect(names("docker.io/library/alpine", byDigest: false) == ["alpine.corp/alpine"])
        #expect(names("docker.io/library/alpine/sub", byDigest: false) == ["alpine.corp/alpine/sub"])
        // `alpine` is not a path component of `alpinex`.
        #expect(names("docker.io/library/alpinex", byDigest: false).last == "docker.io/library/alpinex")
        #expect(names("example.com/foo/app", byDigest: false) == ["internal.example.com/bar/app"])
        #expect(names("example.com/foo/app", byDigest: true) == ["m.example.com/foo/app", "internal.example.com/bar/app"])
        #expect(names("example.com/foobar/app", byDigest: false) == ["example.com/foobar/app"])
        #expect(names("other.test/app", byDigest: false) == ["other.test/app"])
    }

    @Test func wildcardsMatchHosts() {
        #expect(names("a.wild.test/team/app", byDigest: false) == ["wildmirror.test/team/app", "a.wild.test/team/app"])
        #expect(names("wild.test/team/app", byDigest: false) == ["wild.test/team/app"])
    }

    @Test func blockedAndInsecure() {
        #expect(conf.entry(for: "blocked.example/team/app")?.blocked == true)
        #expect(conf.entry(for: "docker.io/library/node")?.blocked == false)
        #expect(conf.insecureHosts == ["tags.corp"])
    }

    @Test(arguments: [
        ("[[registry]]\nlocation = 5", "cannot read registries.conf /x"),
        ("[[registry]\n", "cannot read registries.conf /x"),
        ("[[registry]]\ninsecure = true", "needs a location or a prefix"),
        ("[[registry]]\nlocation = \"a.test\"\n[[registry.mirror]]\nlocation = \"m.test\"\npull-from-mirror = \"sometimes\"", "pull-from-mirror must be"),
        ("[[registry]]\nprefix = \"*.a.test\"\nlocation = \"b.test\"", "wildcard prefix"),
    ])
    func invalidFiles(text: String, message: String) {
        #expect {
            _ = try RegistriesConf.parse(text, path: "/x")
        } throws: { error in
            "\(error)".contains(message) && !"\(error)".contains("\n")
        }
    }

    @Test func dockerHubNames() {
        #expect(RegistryClient.configName(Repository(host: "registry-1.docker.io", name: "library/node")) == "docker.io/library/node")
        #expect(RegistryClient.repository(configName: "docker.io/library/node") == Repository(host: "registry-1.docker.io", name: "library/node"))
        #expect(RegistryClient.repository(configName: "mirror.corp:5000/hub/library/node") == Repository(host: "mirror.corp:5000", name: "hub/library/node"))
    }
}
