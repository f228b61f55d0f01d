import Foundation
import Testing
import TestSupport

/// `scripts/demo`, the first thing a new user runs, end to end with the binary the tests use
/// (`SAMFORGE_BIN`): it must build nothing. Its PATH has a `swift` that says it is Swift 6 (for
/// bootstrap's check) and fails every other call, so a build would fail the demo.
@Suite("scripts/demo", .enabled(if: TestWorld.available))
struct DemoTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/demo").path

    @Test func runsWithAnExistingBinaryAndBuildsNothing() throws {
        let bin = try TemporaryDirectory().path
        let calls = bin + "/swift-calls"
        try Executable.write("""
        #!/bin/sh
        if [ "$1" = "--version" ]; then echo "Swift version 6.0.3 (swift-6.0.3-RELEASE)"; exit 0; fi
        echo "swift $*" >> "\(calls)"
        exit 99
        """, to: bin + "/swift")
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = bin + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["SAMFORGE_BIN"] = Command.samforgePath
        environment["SAMFORGE_TESTWORLD"] = nil
        let result = try Command.run("/usr/bin/timeout", ["600", "/bin/bash", Self.script], environment: environment)
        #expect(result.status == 0, "\(result.stderr.suffix(3000))")
        #expect(!FileManager.default.fileExists(atPath: calls), "swift was run: \((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "")")
        #expect(result.stderr.contains("using \(Command.samforgePath) (SAMFORGE_BIN)"), "\(result.stderr.suffix(2000))")
        #expect(result.stderr.contains("yamllint --strict: clean"), "\(result.stderr.suffix(2000))")
        #expect(result.stderr.contains("=== demo OK: "), "\(result.stderr.suffix(2000))")
        // The entrypoint ran in the chroot and printed something.
        #expect(result.stderr.contains("--- entrypoint output ---"))
    }

    @Test func aMissingBinaryIsOneLine() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["SAMFORGE_BIN"] = "/nonexistent/samforge"
        // Stops right after bootstrap and the world's start (its trap stops the world).
        let result = try Command.run("/usr/bin/timeout", ["300", "/bin/bash", Self.script], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("demo: SAMFORGE_BIN=/nonexistent/samforge is not an executable file"), "\(result.stderr.suffix(1000))")
    }
}
