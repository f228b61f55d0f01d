import Foundation
import Testing
import TestSupport

/// `scripts/bootstrap` checks for Swift 6 before it installs anything, and says in one line where
/// to get it. Run with a PATH of our own (an empty directory, or one holding a fake `swift`), so
/// it can reach no package manager: it must stop at the check.
@Suite("bootstrap's Swift check")
struct BootstrapTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/bootstrap").path

    static func bootstrap(swift version: String?) throws -> CommandResult {
        let directory = try TemporaryDirectory().path
        if let version {
            let fake = directory + "/swift"
            try Executable.write("#!/bin/bash\necho '\(version)'\n", to: fake)
        }
        return try Command.run("/bin/bash", [script], environment: ["PATH": directory])
    }

    @Test(arguments: [
        (nil, "swift is not on PATH"),
        ("Swift version 5.10.1 (swift-5.10.1-RELEASE)", "needs Swift 6, "),
        ("Apple Swift version 5.9 (swiftlang-5.9.0.128.108 clang-1500.0.40.1)", "is 5.9: "),
        ("something else entirely", "does not say which Swift it is"),
    ] as [(String?, String)])
    func stopsFirstWithWhereToGetSwift(_ version: String?, _ fragment: String) throws {
        let result = try Self.bootstrap(swift: version)
        #expect(result.status == 1, "\(result.status): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("bootstrap: ") && result.stderr.contains(fragment), "\(result.stderr)")
        #expect(result.stderr.contains("https://www.swift.org/install/"), "\(result.stderr)")
    }

    /// Swift 6 (a fake one) passes the check: bootstrap goes on to its packages, which it cannot
    /// reach on this PATH, and fails there instead, not at the check.
    @Test func swiftSixPassesTheCheck() throws {
        let result = try Self.bootstrap(swift: "Swift version 6.0.3 (swift-6.0.3-RELEASE)")
        #expect(!result.stderr.contains("https://www.swift.org/install/"), "\(result.stderr)")
        #expect(result.status != 0)
    }
}
