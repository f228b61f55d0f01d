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
