import Foundation
import Testing
import TestSupport

/// Several runtimes in one run (`--sam-base-image` repeated): one image per base, each the
/// same as its own single build, with the new layers written once and shared.
@Suite("samforge build: several runtimes in one run", .enabled(if: TestWorld.available))
struct BuildMatrixTests {
    static let bases = [BuildHarness.nodeBase, BuildHarness.pythonBase]

    @Test func eachImageEqualsItsOwnBuildAndSharesTheNewLayers() throws {
        let target = BuildHarness.newTarget("matrix")
        let outputEnv = try TemporaryDirectory().path + "/drone-output"
        let extra = ["--sam-base-image", "\(TestWorld.plain)/\(Self.bases[1])", "--output-env", outputEnv]
        let result = try BuildHarness.build(target: target, extra: extra)
        try #require(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        // The plugin and tools layers were written once, for the first runtime.
        #expect(result.stderr.components(separatedBy: "plugin files (").count == 2, "\(result.stderr)")

        var newLayers: [[String]] = []
        for (base, line) in zip(Self.bases, lines) {
            let single = try BuildHarness.build(base: base, target: BuildHarness.newTarget("matrix-single"))
            try #require(single.status == 0, "\(single.stderr)")
            let digest = String(line.split(separator: "@").last ?? "")
            #expect(digest == String(single.lastLine.split(separator: "@").last ?? ""), "\(base)")
            newLayers.append(Array(BuildHarness.layerDigests(try BuildHarness.rawManifest(String(line.split(separator: "@")[0]))).suffix(2)))
        }
        #expect(newLayers[0] == newLayers[1])

        let env = try String(contentsOfFile: outputEnv, encoding: .utf8)
        #expect(env.contains("FINAL_IMAGE_NODEJS18_X=\(lines[0].split(separator: "@")[0])\n"))
        #expect(env.contains("FINAL_IMAGE_PYTHON3_12=\(lines[1].split(separator: "@")[0])\n"))
        #expect(env.contains("IMAGE_DIGEST_PYTHON3_12=\(lines[1].split(separator: "@")[1])\n"))
        #expect(env.contains("SAM_RUNTIME_NODEJS18_X=nodejs18.x\n"))
    }

    @Test func jsonIsAnArrayOfReports() throws {
        let result = try BuildHarness.build(target: BuildHarness.newTarget("matrix-json"),
                                            extra: ["--sam-base-image", "\(TestWorld.plain)/\(Self.bases[1])", "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(reports.map { $0["samRuntime"] as? String } == ["nodejs18.x", "python3.12"])
    }

    @Test func twoBasesWithOneTagAreRefusedBeforeAnyTraffic() throws {
        let target = BuildHarness.newTarget("matrix-dup")
        let result = try BuildHarness.build(target: target, extra: ["--sam-base-image", "\(TestWorld.plain)/\(BuildHarness.nodeList)"])
        #expect(result.status == 2)
        #expect(result.errorLine.contains("are both nodejs18.x: one base per runtime in a run"), "\(result.stderr)")
        #expect(try BuildHarness.hasNoTags(target))
    }
}
