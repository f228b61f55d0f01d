import Foundation
import Testing
import TestSupport

/// What a run of several images tells a pipeline: output variables whose names do not depend
/// on the rest of the run, a closing line that is true when every entry failed, and advisory
/// warnings once per run (none with -q).
@Suite("samforge build: outputs of a run that grows", .enabled(if: TestWorld.available))
struct BuildRunOutcomeTests {
    static let host = TestWorld.plain
    static var node: String { "\(host)/\(BuildHarness.nodeBase)" }
    static var python: String { "\(host)/\(BuildHarness.pythonBase)" }

    static func matrix(_ entries: [String]) throws -> String {
        let file = try TemporaryDirectory().path + "/matrix.yaml"
        try ("images:\n" + entries.map { "  - \($0)\n" }.joined()).write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The suffixed variables a run appended to its --output-env file.
    static func variables(_ arguments: [String], target: String) throws -> (suffixed: [String: String], plain: [String: String], result: CommandResult) {
        let file = try TemporaryDirectory().path + "/out.env"
        let result = try Command.samforge(try BuildHarness.arguments(target: target, extra: ["--output-env", file, "-q"]).filter { $0 != "--sam-base-image" && $0 != Self.node }
                                          + arguments, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        try #require(result.status == 0, "\(result.stderr)")
        var suffixed: [String: String] = [:], plain: [String: String] = [:]
        for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if ["FINAL_IMAGE", "IMAGE_DIGEST", "SAM_RUNTIME", "SAM_VERSION", "TIMESTAMP"].contains(parts[0]) { plain[parts[0]] = parts[1] } else { suffixed[parts[0]] = parts[1] }
        }
        return (suffixed, plain, result)
    }

    /// Each run is one step bigger than the last: every name the smaller one wrote is written
    /// by the bigger one with the same value (the case: a second nodejs18.x entry used
    /// to switch every name from the runtime to the entry number).
    @Test func variableNamesStayAsTheRunGrows() throws {
        let target = BuildHarness.newTarget("outvars")
        let nodeNext = "{sam-base-image: \(Self.node), version: '1.1.3'}"
        let runs: [(name: String, arguments: [String], images: Int)] = [
            ("one base", ["--sam-base-image", Self.node], 1),
            ("two bases", ["--sam-base-image", Self.node, "--sam-base-image", Self.python], 2),
            ("a matrix of one", ["--matrix", try Self.matrix([Self.node])], 1),
            ("a matrix of two", ["--matrix", try Self.matrix([Self.node, Self.python])], 2),
            ("a matrix sharing a runtime", ["--matrix", try Self.matrix([Self.node, Self.python, nodeNext])], 3),
            ("one entry of it", ["--matrix", try Self.matrix([Self.node, Self.python, nodeNext]), "--matrix-index", "2"], 1),
        ]
        var outputs: [(suffixed: [String: String], plain: [String: String])] = []
        for run in runs {
            let (suffixed, plain, result) = try Self.variables(run.arguments, target: target)
            #expect(result.stderr.isEmpty, "\(run.name), -q: \(result.stderr)")
            #expect(suffixed.count == 5 * run.images, "\(run.name): \(suffixed)")
            #expect(plain.isEmpty == (run.images > 1), "\(run.name): the plain names only for one image")
            outputs.append((suffixed, plain))
        }
        func grows(_ smaller: Int, _ bigger: Int) {
            for (key, value) in outputs[smaller].suffixed {
                #expect(outputs[bigger].suffixed[key] == value, "\(runs[smaller].name) -> \(runs[bigger].name): \(key)")
            }
        }
        grows(0, 1)
        grows(2, 3)
        grows(3, 4)
        grows(5, 4)
        #expect(outputs[0].suffixed["FINAL_IMAGE_NODEJS18_X"] == "\(target):1.1.2-nodejs18.x-1.143.0-linux-amd64")
        #expect(outputs[4].suffixed["FINAL_IMAGE_2"] == "\(target):1.1.3-nodejs18.x-1.143.0-linux-amd64")
        #expect(outputs[5].plain["FINAL_IMAGE"] == outputs[4].suffixed["FINAL_IMAGE_2"])
    }

    /// The closing line says what happened: none written when every entry failed.
    @Test(arguments: [(failing: 2, total: 2, line: "all 2 images failed (see the table above); none was written"),
                      (failing: 1, total: 2, line: "1 of 2 images failed (see the table above); the other one was written"),
                      (failing: 1, total: 3, line: "1 of 3 images failed (see the table above); the other 2 were written")])
    func theClosingLineCountsWhatWasWritten(_ case_: (failing: Int, total: Int, line: String)) throws {
        let missing = "\(Self.host)/harness/no-such-plugin:1"
        let bases = [(Self.node, "1.1.2"), (Self.python, "1.1.2"), (Self.node, "1.1.3")]
        let entries = bases.prefix(case_.total).enumerated().map { index, base in
            "{sam-base-image: \(base.0), version: '\(base.1)'" + (index < case_.failing ? ", plugin-image: '\(missing)'}" : "}")
        }
        let result = try Command.samforge(try BuildHarness.arguments(target: BuildHarness.newTarget("closing"), extra: ["--matrix", try Self.matrix(entries)])
            .filter { $0 != "--sam-base-image" && $0 != Self.node }, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.errorLine == "samforge: error: " + case_.line, "\(result.stderr)")
    }

    /// A base off public.ecr.aws/sam/ is announced once per run, however many entries; -q
    /// silences it.
    @Test func theMirrorWarningIsOncePerRun() throws {
        let file = try Self.matrix([Self.node, Self.python, "{sam-base-image: \(Self.node), version: '1.1.3'}"])
        let arguments = try BuildHarness.arguments(target: BuildHarness.newTarget("mirrors"), extra: ["--matrix", file])
            .filter { $0 != "--sam-base-image" && $0 != Self.node }
        let result = try Command.samforge(arguments, environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        try #require(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("samforge: warning: ") }
        #expect(warnings == ["samforge: warning: 3 base images are not official images from public.ecr.aws/sam/ (\(Self.node), \(Self.python) and 1 more); building on them as mirrors of official ones"], "\(warnings)")
        let quiet = try Command.samforge(arguments + ["-q"], environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
    }
}
