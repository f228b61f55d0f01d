import Foundation
import Testing
import TestSupport

/// Docker Hub's pull limit (a manifest GET is a pull, a HEAD is free) and the run's request
/// budget (`--max-requests-per-second HOST=N`), through a fault proxy of the test's own that
/// counts what it is asked.
@Suite("Pull limits and the request budget", .enabled(if: TestWorld.available))
struct PullLimitTests {
    static let index = "sam/build-nodejs18.x:1.143.0"

    func hub(_ parameters: [String: String]) throws -> PrivateFaultProxy {
        try PersonalityKit.proxy(TestWorld.plain, [("hub-pull-limit", parameters)])
    }

    /// Manifest GETs a run sent, by path: each manifest is pulled once per run.
    func manifestGets(_ proxy: PrivateFaultProxy) throws -> [String] {
        try proxy.proxy.requests(matching: "GET /v2/").filter { $0.contains("/manifests/") }
    }

    /// A copy of a two-platform index costs three pulls (the index and each platform's manifest),
    /// and `--verbose` shows the allowance left; with one pull fewer it stops in one line that
    /// says the limit, its window and when it frees up, and names nothing.
    @Test func aCopyCostsOnePullPerManifest() throws {
        let proxy = try hub(["pulls": "3"])
        let target = CopyKit.newRepository("hub") + ":1"
        let copied = try PersonalityKit.succeed(["copy", "--verbose", "\(proxy.address)/\(Self.index)", target])
        #expect(try ImageValidation.problem(copied.lastLine) == nil)
        let gets = try manifestGets(proxy)
        #expect(gets.count == 3, "\(gets)")
        #expect(Set(gets).count == gets.count, "a manifest pulled twice: \(gets)")
        #expect(copied.stderr.contains("samforge: \(proxy.address): pull allowance: 0 left of 100 pulls per 6 h for 192.0.2.1 (ratelimit-remaining)"),
                "\(copied.stderr)")

        let limited = try hub(["pulls": "2"])
        let refusedTarget = CopyKit.newRepository("hub-refused")
        let refused = try PersonalityKit.run(["copy", "\(limited.address)/\(Self.index)", refusedTarget + ":1"])
        #expect(refused.status == 1)
        #expect(refused.errorLine.contains("pull rate limit of \(limited.address) reached: 100 pulls per 6 h for 192.0.2.1, none left;"
                                           + " the 6 h window frees pulls as older ones age out (wait, or log in for a higher limit: samforge login \(limited.address))"),
                "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").filter { $0.contains("retrying") }.isEmpty, "a used-up allowance is not retried: \(refused.stderr)")
        #expect(try BuildHarness.hasNoTags(refusedTarget))
    }

    /// A limit that resets soon (ratelimit-reset) is waited for within --timeout; one that resets
    /// later than --timeout allows is the error at once.
    @Test func aNearResetIsWaitedFor() throws {
        let proxy = try hub(["pulls": "2", "reset": "2"])
        let copied = try PersonalityKit.succeed(["copy", "\(proxy.address)/\(Self.index)", CopyKit.newRepository("hub-wait") + ":1"])
        #expect(copied.stderr.contains("samforge: waiting 2 s for the pull limit of \(proxy.address) to reset"), "\(copied.stderr)")
        #expect(try ImageValidation.problem(copied.lastLine) == nil)

        let later = try hub(["pulls": "0", "reset": "30"])
        let refused = try PersonalityKit.run(["inspect", "--timeout", "10s", "\(later.address)/\(BuildHarness.nodeBase)"])
        #expect(refused.status == 1)
        #expect(refused.errorLine.contains("reached: 100 pulls per 6 h for 192.0.2.1, none left; it resets in 30 s"), "\(refused.stderr)")
    }

    /// build, tags and inspect --referrers against the limit: each manifest GET once per run,
    /// existence checks by HEAD (free), tag lists not counted.
    @Test func buildTagsAndReferrersSpendOnlyWhatTheyPull() throws {
        let proxy = try hub(["pulls": "100"])
        let built = try PersonalityKit.build(target: "\(proxy.address)/\(TestWorld.uniqueRepository("hub-build"))", host: proxy.address)
        try #require(built.status == 0, "\(built.stderr)")
        try PersonalityKit.validateBehind(proxy, built, upstream: TestWorld.plain)
        let gets = try manifestGets(proxy)
        #expect(Set(gets).count == gets.count, "a manifest pulled twice: \(gets)")
        // The base, the plugin image (an image), the docker CLI index and its amd64 manifest.
        #expect(gets.count == 4, "\(gets)")
        #expect(try PersonalityKit.tags("\(proxy.address)/sam/build-nodejs18.x").count == 3)
        #expect(try PersonalityKit.referrerTypes(String(built.lastLine.split(separator: "@")[0])) == PersonalityKit.attestationTypes)
    }

    /// `--max-requests-per-second HOST=N`: every request of the run to HOST waits its turn; no
    /// second holds more than N + 1 of them, and the run takes at least as long as N a second allow.
    @Test func theRequestBudgetSpacesRequests() throws {
        let proxy = try PersonalityKit.proxy(TestWorld.plain, [])
        let rate = 8.0
        let copied = try PersonalityKit.succeed(["--max-requests-per-second", "\(proxy.address)=\(Int(rate))", "copy", "--jobs", "8",
                                                 "\(proxy.address)/\(Self.index)", "\(proxy.address)/\(TestWorld.uniqueRepository("budget")):1"])
        try PersonalityKit.validateBehind(proxy, copied, upstream: TestWorld.plain)
        let arrivals = try #require(proxy.proxy.personalityRecord()["arrivals"] as? [Double]).sorted()
        #expect(arrivals.count >= 10)
        for (index, start) in arrivals.enumerated() {
            let inWindow = arrivals[index...].prefix { $0 < start + 1 }.count
            #expect(Double(inWindow) <= rate + 1, "\(inWindow) requests within a second from \(start)")
        }
        #expect((arrivals.last ?? 0) - (arrivals.first ?? 0) >= Double(arrivals.count - 1) / rate - 0.25)
    }

    @Test(arguments: ["nohost", "=3", "host=0", "host=-1", "host=x", "a/b=2"])
    func badBudgets(value: String) throws {
        let result = try CopyKit.samforge(["tags", "--max-requests-per-second", value, "localhost:1/a"])
        #expect(result.status == 2)
        #expect(result.errorLine.contains("--max-requests-per-second takes HOST=N with N a positive number"), "\(result.stderr)")
    }
}
