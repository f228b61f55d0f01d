import Foundation
import OCI

/// Writes to stdout/stderr; stdout carries results only, progress goes to stderr.
enum Output {
    static func line(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
    static func progress(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    static func warning(_ text: String) { FileHandle.standardError.write(Data(("samforge: warning: " + plainPunctuation(text) + "\n").utf8)) }

    /// One JSON object, keys sorted (stable for scripts and diffs).
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        FileHandle.standardOutput.write(try encoder.encode(value))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    static func bytes(_ bytes: [UInt8]) { FileHandle.standardOutput.write(Data(bytes)) }
}
