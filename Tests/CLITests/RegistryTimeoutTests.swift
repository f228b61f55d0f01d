import Foundation
import Testing
import TestSupport

/// A registry that accepts the connection and never answers, one that stops mid-body, and the
/// command's own --timeout: each ends with one clear error line, never an unbounded wait.
/// (Bounds are checked by outcome and message, never by measuring wall-clock time.)
@Suite("Timeouts and retries", .enabled(if: TestWorld.available))
struct RegistryTimeoutTests {
    static func errorLines(_ result: CommandResult) -> [String] {
        result.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("samforge: error: ") }
    }

    @Test func silentServerHitsTheFirstByteTimeoutWithRetriesAnnounced() throws {
        let silent = try SilentServer()
        let result = try CopyKit.samforge(["tags", "--first-byte-timeout", "1", "--retry-times", "2", "\(silent.address)/team/app"])
        #expect(result.status == 1)
        #expect(Self.errorLines(result) == ["samforge: error: \(silent.address)/team/app: cannot reach registry \(silent.address): no response within 1 s"],
                "\(result.stderr)")
        let retries = result.stderr.split(separator: "\n").filter { $0.hasPrefix("samforge: retrying GET \(silent.address)/v2/ in ") }
        #expect(retries.count == 2, "\(result.stderr)")
        #expect(retries.allSatisfy { $0.hasSuffix(": no response within 1 s") }, "\(result.stderr)")
    }

    @Test func wholeCommandTimeoutEndsTheCommand() throws {
        let silent = try SilentServer()
        let result = try CopyKit.samforge(["copy", "--timeout", "2s", "\(silent.address)/team/app:v1", "oci:\(try CopyKit.temporaryDirectory())/out:v1"])
        #expect(result.status == 1)
        let lines = Self.errorLines(result)
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.contains("timed out after 2 s (--timeout) during GET http") == true, "\(result.stderr)")
    }

    /// Local work past the deadline (a 4 GiB --file takes far longer than 1 s + the 5 s grace to
    /// compress) ends the command too, in one line that reads as a request's timeout does.
    @Test func wholeCommandTimeoutEndsLocalWork() throws {
        let directory = try CopyKit.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try CopyKit.shell("truncate -s 4G \"$1\"", [directory + "/big"])  // sparse: no disk
        let result = try CopyKit.samforge(["append", "--timeout", "1s", "--cache-dir", directory + "/cache", "--file", directory + "/big:/big",
                                           "scratch", "oci:\(directory)/out:1"])
        #expect(result.status == 1)
        #expect(Self.errorLines(result) == ["samforge: error: timed out after 1 s (--timeout) during local work (still running 5 s past the deadline)"],
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/out"), "a layout was left behind")
    }

    @Test func retryTimesZeroMeansOneAttempt() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        try proxy.proxy.arm("status", match: "/manifests/", count: 10, ["code": "503", "retry_after": "0"])
        let result = try CopyKit.samforge(["copy", "--retry-times", "0", "\(proxy.address)/sam/build-nodejs18.x:1.143.0",
                                           "oci:\(try CopyKit.temporaryDirectory())/out:v1"])
        #expect(result.status == 1)
        #expect(Self.errorLines(result).first?.contains("HTTP 503") == true, "\(result.stderr)")
        // One attempt each: the tag's HEAD (which only looks for a manifest the run holds), then its GET.
        #expect(try proxy.proxy.stats()["faults"] == 2)
        #expect(try proxy.proxy.requests(matching: "/manifests/") == ["HEAD /v2/sam/build-nodejs18.x/manifests/1.143.0",
                                                                     "GET /v2/sam/build-nodejs18.x/manifests/1.143.0"])
        #expect(!result.stderr.contains("retrying"))
    }

    @Test func retriesAreAnnouncedWithReasonAndDelay() throws {
        let proxy = try PrivateFaultProxy(upstream: TestWorld.plain)
        try proxy.proxy.arm("status", match: "/manifests/1.143.0", count: 2, ["code": "503", "retry_after": "1"])
        let result = try CopyKit.succeed(["copy", "--quiet", "\(proxy.address)/sam/build-nodejs18.x:1.143.0",
                                          "oci:\(try CopyKit.temporaryDirectory())/out:v1"])
        let retries = result.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("samforge: retrying ") }
        // A tag's first request is its HEAD (Docker Hub counts a GET as a pull, not a HEAD).
        #expect(retries == Array(repeating: "samforge: retrying HEAD \(proxy.address)/v2/sam/build-nodejs18.x/manifests/1.143.0 in 1 s: HTTP 503", count: 2),
                "\(result.stderr)")
    }

    @Test(arguments: [(["--timeout", "0"], "--timeout takes a positive duration"), (["--timeout", "soon"], "--timeout takes a positive duration"),
                      (["--timeout", "5x"], "--timeout takes a positive duration"), (["--retry-times", "101"], "--retry-times must be between 0 and 100")])
    func badValuesAreUsageErrors(_ flags: [String], message: String) throws {
        let result = try CopyKit.samforge(["tags"] + flags + ["\(TestWorld.plain)/team/app"])
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}

/// A proxy from the environment that fails is named as the proxy, not as the registry.
@Suite("Proxies", .enabled(if: TestWorld.available))
struct ProxyErrorTests {
    static func freePort() throws -> String {
        try CopyKit.shell("python3 -c 'import socket;s=socket.socket();s.bind((\"127.0.0.1\",0));print(s.getsockname()[1])'")
    }

    @Test func refusingProxiesAreNamed() throws {
        let refusing = try PrivateFaultProxy(upstream: TestWorld.plain)  // 403 to CONNECT, 407 to absolute-form requests
        let closed = "127.0.0.1:\(try Self.freePort())"
        let tls = ["tags", "--ca-file", TestWorld.caFile, "\(TestWorld.tls)/sam/build-nodejs18.x"]
        let plain = ["tags", "\(TestWorld.plain)/sam/build-nodejs18.x"]
        let cases: [([String], [String: String], String)] = [
            (tls, ["https_proxy": "http://\(refusing.address)"], "proxy \(refusing.address) failed on the way to \(TestWorld.tls): CONNECT answered HTTP 403"),
            (tls, ["HTTPS_PROXY": "http://user:secret@proxy.invalid:3128"], "proxy proxy.invalid:3128 failed on the way to \(TestWorld.tls): unknown host"),
            (plain, ["http_proxy": "http://\(closed)"], "proxy \(closed) failed on the way to \(TestWorld.plain): connection refused"),
            (plain, ["http_proxy": "http://\(refusing.address)"], "proxy \(refusing.address) failed on the way to \(TestWorld.plain): HTTP 407"),
        ]
        for (arguments, environment, message) in cases {
            // NO_PROXY set (to a name that matches nothing here): it alone decides, so even a
            // loopback registry goes through the proxy (without it, loopback never does).
            let result = try CopyKit.samforge(arguments, environment: environment.merging(["no_proxy": "", "NO_PROXY": "proxy-test.invalid"]) { $1 })
            #expect(result.status == 1)
            #expect(CopyKit.errorLine(result).contains(message), "\(environment): \(result.stderr)")
            #expect(!result.stderr.contains("secret"))
        }
        // NO_PROXY exempts the registry: the same broken proxy is not used.
        let exempt = try CopyKit.samforge(plain, environment: ["http_proxy": "http://\(closed)", "no_proxy": "127.0.0.1"])
        #expect(exempt.status == 0, "\(exempt.stderr)")
    }
}

/// Authentication hints name what applies to the host at hand.
@Suite("Authentication hints", .enabled(if: TestWorld.available))
struct AuthenticationHintTests {
    @Test func pullHintNamesLoginOnly() throws {
        let result = try CopyKit.samforge(["tags", "\(TestWorld.basic)/sam/build-nodejs18.x"],
                                          environment: ["DOCKER_CONFIG": try CopyKit.temporaryDirectory(), "DOCKER_USERNAME": "", "DOCKER_PASSWORD": ""])
        #expect(result.status == 1)
        let line = CopyKit.errorLine(result)
        #expect(line.hasSuffix("authentication required by \(TestWorld.basic): no credentials found (samforge login \(TestWorld.basic))"), "\(line)")
    }

    @Test func pushHintNamesTheEnvironmentToo() throws {
        let target = "\(TestWorld.basic)/\(TestWorld.uniqueRepository("hint")):v1"
        let result = try CopyKit.samforge(["copy", "--quiet", "\(TestWorld.plain)/library/docker:26.0.1-cli", target],
                                          environment: ["DOCKER_CONFIG": try CopyKit.temporaryDirectory(), "DOCKER_USERNAME": "", "DOCKER_PASSWORD": ""])
        #expect(result.status == 1)
        let line = CopyKit.errorLine(result)
        #expect(line.hasSuffix("(samforge login \(TestWorld.basic), or set DOCKER_USERNAME and DOCKER_PASSWORD)"), "\(line)")
        #expect(!line.contains("docker login"))
    }
}
