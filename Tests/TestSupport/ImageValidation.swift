import Foundation
#if canImport(Testing)
import Testing
#endif

/// go-containerregistry's `validate.Image`, as an independent check (scripts/validate-image.py,
/// Python's standard library): config digest and size, every layer present with its digest and
/// size, uncompressed digests equal to the config's diff_ids, one manifest flavour throughout.
/// `Command.samforge` runs it on every image a successful copy, append or build names.
public enum ImageValidation {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/validate-image.py").path

    /// nil when the image at `location` is valid, else the validator's complaint.
    public static func problem(_ location: String) throws -> String? {
        var arguments = [script, location]
        var environment = ProcessInfo.processInfo.environment
        let host = location.split(separator: "/").first.map(String.init) ?? ""
        if host == TestWorld.basic {
            arguments += ["--user", TestWorld.basicUser, "--password-env", "SAMFORGE_TEST_BASIC_PASSWORD"]
        } else if host == TestWorld.token || host == TestWorld.faultProxy {
            arguments += ["--user", TestWorld.tokenUser, "--password-env", "SAMFORGE_TEST_TOKEN_PASSWORD"]
        } else if host == TestWorld.tls {
            arguments += ["--ca", TestWorld.caFile]
        }
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        let result = try Command.run("python3", arguments, environment: environment)
        return result.status == 0 ? nil : (result.stdout + result.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The images a successful run's stdout names (`LOCATION@sha256:…` lines), validated; each
    /// problem is recorded as a test issue.
    /// Set in a run's environment to skip the check: a test that plants a hostile image with
    /// `copy` (which moves bytes as they are) wants exactly the invalid image it wrote.
    public static let skipVariable = "SAMFORGE_TEST_SKIP_VALIDATION"

    static func check(_ arguments: [String], _ result: CommandResult, environment: [String: String]) {
        guard result.status == 0, let command = arguments.first, ["copy", "append", "build"].contains(command),
              !arguments.contains("--json"), environment[skipVariable] != "1" else { return }
        for line in result.stdout.split(separator: "\n") where line.wholeMatch(of: /\S+@sha256:[0-9a-f]{64}/) != nil {
            let location = String(line)
            do {
                if let problem = try problem(location) { record("\(command) wrote an invalid image \(location): \(problem)") }
            } catch {
                record("validating \(location): \(error)")
            }
        }
    }
}

/// A test issue where Swift Testing is there (tests); a release build of every target has it not.
private func record(_ message: String) {
    #if canImport(Testing)
    Issue.record(Comment(rawValue: message))
    #else
    FileHandle.standardError.write(Data((message + "\n").utf8))
    #endif
}
