import Foundation
import Testing
import TestSupport

/// Whole runs through seeded random faults: about 4% of all requests (pulls and pushes) fail
/// with a reset before or after the body, a 429 (Retry-After 0 or 1), a 503 or a truncated
/// body. Every run must succeed and give exactly the fault-free digest. Pulls and pushes go
/// through two proxies (two hosts: blobs are streamed, not mounted), each seeded.
/// The default seeds are ones whose first faults fall within the first few requests on both
/// sides (a seed may otherwise draw no fault in a run this short); `SAMFORGE_TEST_CHAOS_SEEDS=1,2,…`
/// and `SAMFORGE_TEST_CHAOS_RATE=0.15` run others.
@Suite("Chaos: seeded random faults", .enabled(if: TestWorld.available))
struct ChaosTests {
    static let seeds: [UInt64] = (ProcessInfo.processInfo.environment["SAMFORGE_TEST_CHAOS_SEEDS"] ?? "6,113,316,378,419")
        .split(separator: ",").compactMap { UInt64($0) }
    static let rate = Double(ProcessInfo.processInfo.environment["SAMFORGE_TEST_CHAOS_RATE"] ?? "") ?? 0.04

    /// The fault-free result, for comparison: the same build straight to the plain registry.
    static let cleanBuildDigest: Result<String, any Error> = Result {
        let result = try BuildHarness.build(target: BuildHarness.newTarget("chaos-clean"))
        guard result.status == 0, let digest = result.lastLine.split(separator: "@").last else {
            throw FaultProxy.ControlError(description: "fault-free build failed: \(result.stderr)")
        }
        return String(digest)
    }

    struct World {
        let pull: PrivateFaultProxy
        let push: PrivateFaultProxy
        init(seed: UInt64) throws {
            pull = try PrivateFaultProxy(upstream: TestWorld.plain)
            push = try PrivateFaultProxy(upstream: TestWorld.plain)
            try pull.proxy.chaos(seed: seed, rate: ChaosTests.rate)
            try push.proxy.chaos(seed: seed &+ 1000, rate: ChaosTests.rate)
        }
        func faults() throws -> Int { try (pull.proxy.stats()["chaos_faults"] ?? 0) + (push.proxy.stats()["chaos_faults"] ?? 0) }
    }

    @Test(arguments: seeds)
    func copyGivesTheFaultFreeDigest(seed: UInt64) throws {
        let world = try World(seed: seed)
        let repository = TestWorld.uniqueRepository("chaos-copy")
        let source = "sam/build-nodejs18.x:1.143.0"
        let result = try CopyKit.samforge(["copy", "--quiet", "\(world.pull.address)/\(source)", "\(world.push.address)/\(repository):v1"])
        #expect(result.status == 0, "seed \(seed): \(result.stderr)")
        #expect(try CopyKit.rawDigest("docker://\(TestWorld.plain)/\(repository):v1") == CopyKit.rawDigest("docker://\(TestWorld.plain)/\(source)"))
        let faults = try world.faults()
        #expect(faults > 0, "seed \(seed) injected no fault")
        print("chaos copy seed \(seed): \(faults) faults injected")
    }

    @Test(arguments: seeds)
    func buildGivesTheFaultFreeDigest(seed: UInt64) throws {
        let clean = try Self.cleanBuildDigest.get()
        let world = try World(seed: seed)
        var arguments = try BuildHarness.arguments(target: BuildHarness.newTarget("chaos-build", host: world.push.address), host: world.pull.address)
        arguments.append("--quiet")
        let result = try Command.samforge(arguments, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        #expect(result.status == 0, "seed \(seed): \(result.stderr)")
        #expect(result.lastLine.split(separator: "@").last.map(String.init) == clean, "seed \(seed): \(result.stderr)")
        let faults = try world.faults()
        #expect(faults > 0, "seed \(seed) injected no fault")
        print("chaos build seed \(seed): \(faults) faults injected")
    }
}
