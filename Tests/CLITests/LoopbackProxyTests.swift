import Foundation
import Testing
import TestSupport

/// A proxy in the environment never applies to a loopback registry (as crane and docker have
/// it), unless NO_PROXY is set: then it alone says what bypasses the proxy. The "proxy" here is
/// a fault proxy, which refuses CONNECT (403) and absolute-form requests (407).
@Suite("Proxies and loopback registries", .enabled(if: TestWorld.available))
struct LoopbackProxyTests {
    static let proxyVariables = ["http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"]

    func environment(_ values: [String: String]) -> [String: String] {
        var environment = Dictionary(uniqueKeysWithValues: Self.proxyVariables.map { ($0, "") })
        environment.merge(values) { $1 }
        return environment
    }

    /// A proxied request would fail: the proxy answers 407 to plain HTTP, 403 to CONNECT.
    @Test(arguments: ["http_proxy", "all_proxy", "ALL_PROXY"])
    func plainHTTPLoopbackIsNeverProxied(variable: String) throws {
        let refusing = try PrivateFaultProxy(upstream: TestWorld.plain)
        let repository = CopyKit.newRepository("no-proxy")
        for arguments in [["tags", "\(TestWorld.plain)/sam/build-nodejs18.x"],
                          ["copy", "--quiet", "\(TestWorld.plain)/\(BuildHarness.nodeBase)", "\(repository):1"],
                          ["inspect", "\(repository):1"]] {
            let result = try Command.samforge(arguments, environment: environment([variable: "http://\(refusing.address)"]))
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
    }

    @Test(arguments: ["https_proxy", "HTTPS_PROXY", "all_proxy"])
    func httpsLoopbackIsNeverProxied(variable: String) throws {
        let refusing = try PrivateFaultProxy(upstream: TestWorld.plain)
        let result = try Command.samforge(["tags", "--ca-file", TestWorld.caFile, "\(TestWorld.tls)/sam/build-nodejs18.x"],
                                          environment: environment([variable: "http://\(refusing.address)"]))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("1.143.0\n"))
    }

    /// NO_PROXY set (even to something else) decides alone: the loopback registry then goes
    /// through the proxy, and the proxy's refusal is named as the proxy's.
    @Test func noProxyDecides() throws {
        let refusing = try PrivateFaultProxy(upstream: TestWorld.plain)
        let environment = environment(["http_proxy": "http://\(refusing.address)", "NO_PROXY": "example.com"])
        let result = try Command.samforge(["tags", "\(TestWorld.plain)/sam/build-nodejs18.x"], environment: environment)
        #expect(result.status == 1)
        #expect(result.errorLine.contains("proxy \(refusing.address) failed on the way to \(TestWorld.plain)"), "\(result.stderr)")
        let bypassed = try Command.samforge(["tags", "\(TestWorld.plain)/sam/build-nodejs18.x"],
                                            environment: self.environment(["http_proxy": "http://\(refusing.address)", "NO_PROXY": "127.0.0.1"]))
        #expect(bypassed.status == 0, "\(bypassed.stderr)")
    }
}
