import Foundation

/// scripts/cosign-verify.py, the independent implementation of cosign's checks and formats
/// that the signing tests hold samforge to.
public enum CosignPython {
    public static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/cosign-verify.py").path
    }

    /// Runs it with `COSIGN_PASSWORD` set to `password` (unset when nil).
    public static func run(_ arguments: [String], password: String? = nil) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["COSIGN_PASSWORD"] = password
        return try Command.run("python3", [script] + arguments, environment: environment)
    }
}
