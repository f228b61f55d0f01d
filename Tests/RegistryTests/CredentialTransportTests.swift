import Testing
@testable import Registry

/// Where credentials may travel: the host a URL names decides, never the registry that named
/// it (a token realm is just a URL the registry sends).
@Suite("Credentials over plain HTTP")
struct CredentialTransportTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let url: String
        let insecure: Set<String>
        let allowed: Bool
        var testDescription: String { "\(url) with --insecure-registry \(insecure.sorted())" }
    }

    static let cases: [Case] = [
        Case(url: "https://auth.test:5655/token", insecure: [], allowed: true),
        Case(url: "HTTPS://auth.test/token", insecure: [], allowed: true),
        Case(url: "http://auth.test:5655/token", insecure: [], allowed: false),
        // The registry named insecure says nothing about its realm on another host.
        Case(url: "http://auth.test:5655/token", insecure: ["reg.test:5654"], allowed: false),
        Case(url: "http://auth.test:5655/token", insecure: ["reg.test"], allowed: false),
        Case(url: "http://auth.test:5655/token", insecure: ["auth.test:5655"], allowed: true),
        Case(url: "http://auth.test:5655/token", insecure: ["auth.test"], allowed: true),
        Case(url: "http://auth.test:5655/token", insecure: ["auth.test:5656"], allowed: false),
        Case(url: "http://reg.test:5654/v2/", insecure: ["reg.test:5654"], allowed: true),
        Case(url: "HTTP://auth.test/token", insecure: [], allowed: false),
        Case(url: "http://127.0.0.1:5655/token", insecure: [], allowed: true),
        Case(url: "http://localhost/token", insecure: [], allowed: true),
        Case(url: "http://[::1]:80/token", insecure: [], allowed: true),
        Case(url: "http://0.0.0.0:5655/token", insecure: [], allowed: false),
        Case(url: "http://127.0.0.1.evil.test/token", insecure: [], allowed: false),
        Case(url: "http://user@auth.test/token", insecure: ["user@auth.test"], allowed: false),
        Case(url: "ftp://auth.test/token", insecure: ["auth.test"], allowed: false),
    ]

    @Test(arguments: cases)
    func decision(_ testCase: Case) {
        let options = RegistryOptions(insecureHosts: testCase.insecure)
        #expect(options.allowsCredentials(to: testCase.url) == testCase.allowed)
    }
}

@Suite("Durations and proxies from the environment")
struct DurationAndProxyTests {
    @Test(arguments: [("90s", 90.0), ("5m", 300), ("1h30m", 5400), ("1.5s", 1.5), ("500ms", 0.5), ("90", 90), ("2m3s", 123)])
    func durations(_ text: String, seconds: Double) {
        #expect(parseDuration(text) == seconds)
    }

    @Test(arguments: ["", "s", "5x", "m5", "1.2.3s", "soon", "5 m"])
    func badDurations(_ text: String) {
        #expect(parseDuration(text) == nil)
    }

    @Test func proxyChoiceFollowsLibcurl() {
        let environment = ["https_proxy": "http://u:p@secure.proxy:3128", "HTTP_PROXY": "http://ignored:1", "all_proxy": "socks5://all:1080",
                           "no_proxy": "internal.test,.corp.test"]
        #expect(ProxySettings.proxy(for: "https://r.test/v2/", environment: environment) == "secure.proxy:3128")
        // libcurl ignores upper-case HTTP_PROXY (CGI's HTTP_PROXY header): all_proxy applies.
        #expect(ProxySettings.proxy(for: "http://r.test/v2/", environment: environment) == "all:1080")
        #expect(ProxySettings.proxy(for: "https://internal.test:5000/v2/", environment: environment) == nil)
        #expect(ProxySettings.proxy(for: "https://a.corp.test/v2/", environment: environment) == nil)
        #expect(ProxySettings.proxy(for: "https://r.test/", environment: ["NO_PROXY": "*", "HTTPS_PROXY": "p:1"]) == nil)
        #expect(ProxySettings.proxy(for: "https://r.test/", environment: ["HTTPS_PROXY": "p.test:1"]) == "p.test:1")
        #expect(ProxySettings.proxy(for: "https://r.test/", environment: [:]) == nil)
    }
}
