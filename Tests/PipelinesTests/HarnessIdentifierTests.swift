import Foundation
import Testing
import TestSupport
import Yams
@testable import Pipelines

/// Harness gives each iteration of a step with an N-value matrix strategy the identifier
/// `<id>_0` to `<id>_{N-1}`, next to the step's own `<id>` (the strategy's node); an axis
/// entered at run time (`<+input>`) may have any length.
/// Both schemas accept colliding identifiers (Harness refuses them when it runs the stage),
/// so the derivation is done here, from the printed YAML alone.
@Suite("samforge pipeline harness: every identifier Harness derives is unique")
struct HarnessIdentifierTests {
    /// The identifiers of a stage's step group as Harness runs it: the group's, each step's,
    /// each iteration's; and, for a run-time axis, the prefixes whose `_DIGITS`
    /// names are all taken.
    struct Derived {
        var identifiers: [String] = []
        var openEnded: [String] = []

        /// Every clash: an identifier given twice, or one an open-ended axis may take.
        var clashes: [String] {
            var seen: Set<String> = [], clashes: [String] = []
            for identifier in identifiers where !seen.insert(identifier).inserted { clashes.append(identifier) }
            for prefix in openEnded {
                for identifier in identifiers where identifier.hasPrefix(prefix + "_")
                    && identifier.dropFirst(prefix.count + 1).allSatisfy(\.isNumber) && identifier.count > prefix.count + 1 {
                    clashes.append(identifier)
                }
                for other in openEnded where other != prefix && other.hasPrefix(prefix + "_") { clashes.append(other + "_0") }
            }
            return clashes
        }
    }

    static func derive(_ yaml: String) throws -> Derived {
        let root = try #require(try Yams.compose(yaml: yaml))
        var derived = Derived()
        for stage in root["pipeline"]?["stages"]?.sequence ?? [] {
            derived.identifiers.append(stage["stage"]?["identifier"]?.string ?? "")
            for item in stage["stage"]?["spec"]?["execution"]?["steps"]?.sequence ?? [] {
                let group = try #require(item["stepGroup"])
                derived.identifiers.append(group["identifier"]?.string ?? "")
                for wrapped in group["steps"]?.sequence ?? [] {
                    let step = try #require(wrapped["step"])
                    let identifier = try #require(step["identifier"]?.string)
                    // The step keeps its identifier (the strategy's node) besides its iterations'.
                    derived.identifiers.append(identifier)
                    guard let axes = step["strategy"]?["matrix"]?.mapping else { continue }
                    // The combinations: the product of every list axis (maxConcurrency is no axis).
                    var count = 1, openEnded = false
                    for (key, value) in axes where key.string != "maxConcurrency" && key.string != "exclude" {
                        if let values = value.sequence { count *= values.count } else { openEnded = true }
                    }
                    if openEnded { derived.openEnded.append(identifier) } else {
                        derived.identifiers += (0..<count).map { "\(identifier)_\($0)" }
                    }
                }
            }
        }
        return derived
    }

    /// The case the issue names, every case of the other suites, and matrices of every shape:
    /// up to 12 groups of shared overrides, up to 15 bases in one.
    static var matrices: [(name: String, matrix: BuildMatrix?)] {
        var cases: [(String, BuildMatrix?)] = [("no bases: entered at run time", nil)]
        cases.append(("three plain entries and one with its own version", try! BuildMatrix(entries: [
            .init(samBaseImage: base("nodejs18.x")), .init(samBaseImage: base("python3.12")), .init(samBaseImage: base("java21")),
            .init(samBaseImage: base("ruby3.2"), version: "1.1.3"),
        ])))
        cases += PipelineCase.all.map { ($0.name, $0.matrix) }
        var generator = SeededGenerator(seed: 0x4841_524E)
        for round in 0..<40 {
            let groups = Int.random(in: 1...12, using: &generator)
            var entries: [BuildMatrix.Entry] = []
            for group in 0..<groups {
                for member in 0..<Int.random(in: 1...15, using: &generator) {
                    let version = group == 0 ? nil : "1.\(group).0"
                    entries.append(.init(samBaseImage: base("runtime\(member)"), version: version))
                }
            }
            cases.append(("random \(round): \(groups) groups, \(entries.count) entries", try! BuildMatrix(entries: entries.shuffled(using: &generator))))
        }
        return cases
    }

    static func base(_ runtime: String) -> String { "public.ecr.aws/sam/build-\(runtime):1.143.0" }

    @Test func everyDerivedIdentifierIsUnique() throws {
        for (name, matrix) in Self.matrices {
            for step in HarnessPipeline.StepKind.allCases {
                var options = HarnessPipeline.Options()
                options.step = step
                let derived = try Self.derive(try HarnessPipeline(options: options, matrix: matrix).yaml)
                #expect(derived.clashes.isEmpty, "\(name), \(step) step: \(derived.clashes)")
                #expect(!derived.identifiers.isEmpty || !derived.openEnded.isEmpty)
                for identifier in derived.identifiers { #expect(HarnessNames.isIdentifier(identifier), "\(identifier)") }
            }
        }
    }

    /// The derivation is no rubber stamp: the old naming (`build_2` next to `build`'s third
    /// iteration) and the other ways identifiers clash are found.
    @Test func theDerivationFindsClashes() throws {
        /// A step with a matrix over `axis` (a list, or `<+input>`), or a plain one.
        func step(_ identifier: String, _ axis: [String]?, openEnded: Bool = false) -> YAMLValue {
            var fields: [(String, YAMLValue)] = [("identifier", .string(identifier))]
            if let axis {
                let values: YAMLValue = openEnded ? .string("<+input>") : .list(axis.map(YAMLValue.string))
                fields.append(("strategy", .map([("matrix", .map([("sam_base_image", values), ("maxConcurrency", .int(4))]))])))
            }
            return .map([("step", .map(fields))])
        }
        func pipeline(_ steps: [YAMLValue]) -> String {
            YAMLWriter.document(.map([("pipeline", .map([("stages", .list([.map([("stage", .map([
                ("identifier", .string("buildImages")),
                ("spec", .map([("execution", .map([("steps", .list([.map([("stepGroup", .map([
                    ("identifier", .string("samforge")), ("steps", .list(steps)),
                ]))])]))]))])),
            ]))])]))]))]))
        }
        let clashing: [[YAMLValue]] = [
            [step("build", ["a", "b", "c"]), step("build_2", ["d"])],
            [step("build", [], openEnded: true), step("build_7", ["d"])],
            [step("build", [], openEnded: true), step("build_x", [], openEnded: true)],
            [step("build", ["a"]), step("build_0", nil)],
            [step("build", ["a"]), step("samforge", nil)],
            [step("a", ["x", "y"]), step("a", ["z"])],
        ]
        for steps in clashing {
            let yaml = pipeline(steps)
            #expect(!(try Self.derive(yaml)).clashes.isEmpty, "\(yaml)")
        }
        #expect(try Self.derive(pipeline([step("build", ["a", "b", "c"]), step("build_set2", ["d"])])).clashes.isEmpty)
    }
}
