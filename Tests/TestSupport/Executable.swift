import Foundation

/// Scripts tests put on a PATH. Written by a child (`install`), never by the test process: a
/// child another test thread starts while this process holds the file open for writing would
/// inherit that descriptor, and the script would then fail to run with ETXTBSY ("text file
/// busy") for as long as that child lives. Only the source copy is written here.
public enum Executable {
    public static func write(_ script: String, to path: String) throws {
        let source = path + ".source"
        try script.write(toFile: source, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: source) }
        let result = try Command.run("/usr/bin/install", ["-m", "0755", source, path])
        guard result.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "install \(path): \(result.stderr)"])
        }
    }
}
