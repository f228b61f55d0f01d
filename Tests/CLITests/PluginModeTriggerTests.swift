import Foundation
import Testing
import TestSupport

/// With no arguments, PLUGIN_ variables but no trigger (sam_base_image misspelt, or empty) are
/// a plugin step that would build nothing: refused before anything runs, naming the settings,
/// never the root help and exit 0 (the step would go green).
@Suite("samforge plugin mode: settings without sam_base_image")
struct PluginModeTriggerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let environment: [String: String]
        let fragments: [String]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        .init(label: "PLUGIN_SAM_BASE_IMAGES (Harness settings: sam_base_images)",
              environment: ["PLUGIN_SAM_BASE_IMAGES": "public.ecr.aws/sam/build-nodejs18.x:1.143.0", "PLUGIN_VERSION": "1.1.2"],
              fragments: ["PLUGIN_SAM_BASE_IMAGES (did you mean PLUGIN_SAM_BASE_IMAGE?) is not a samforge build setting"]),
        .init(label: "a misspelt matrix", environment: ["PLUGIN_MATRX": "/config/matrix.yaml"],
              fragments: ["PLUGIN_MATRX (did you mean PLUGIN_MATRIX?) is not"]),
        .init(label: "two unknown settings", environment: ["PLUGIN_SAM_BASE": "x", "PLUGIN_TARGET": "y"],
              fragments: ["PLUGIN_SAM_BASE", "PLUGIN_TARGET", "are not samforge build settings"]),
        .init(label: "a secret under an unknown name", environment: ["PLUGIN_PASWORD": "s3cr3t-value"],
              fragments: ["PLUGIN_PASWORD (did you mean PLUGIN_PASSWORD?) is not"]),
        .init(label: "known settings, no base", environment: ["PLUGIN_VERSION": "1.1.2", "PLUGIN_TARGET_REPO": "r.example/x"],
              fragments: ["plugin settings are set (PLUGIN_TARGET_REPO, PLUGIN_VERSION) but neither PLUGIN_SAM_BASE_IMAGE nor PLUGIN_MATRIX has a value",
                          "give the step's sam_base_image or matrix setting"]),
        .init(label: "an empty base (an expression that evaluated to nothing)",
              environment: ["PLUGIN_SAM_BASE_IMAGE": "", "PLUGIN_VERSION": "1.1.2"],
              fragments: ["(PLUGIN_SAM_BASE_IMAGE, PLUGIN_VERSION) but neither PLUGIN_SAM_BASE_IMAGE nor PLUGIN_MATRIX has a value"]),
        .init(label: "credentials only", environment: ["PLUGIN_USERNAME": "ci", "PLUGIN_PASSWORD": "s3cr3t-value"],
              fragments: ["plugin settings are set (PLUGIN_PASSWORD, PLUGIN_USERNAME)"]),
    ]

    @Test(arguments: cases) func refusedWithOneLineNamingTheSettings(_ check: Case) throws {
        // Only the case's PLUGIN_ variables: none from the test process.
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PLUGIN_") }
        environment.merge(check.environment) { _, new in new }
        let result = try Command.run(Command.samforgePath, [], environment: environment)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.isEmpty, "printed: \(result.stdout.prefix(100))")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("samforge: error: ") == true, "\(result.stderr)")
        for fragment in check.fragments { #expect(result.stderr.contains(fragment), "\(result.stderr)") }
        #expect(!result.stderr.contains("s3cr3t-value"))
    }

    /// No PLUGIN_ variable at all, no arguments: the root help, as always.
    @Test func noSettingsIsTheCommandLine() throws {
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PLUGIN_") }
        let result = try Command.run(Command.samforgePath, [], environment: environment)
        #expect(result.status == 0 && result.stdout.contains("USAGE: samforge [<registry options>] <command>"), "\(result.stderr)")
    }
}
