import ArgumentParser
import Layers
import OCI

/// `--compression gzip|zstd[:LEVEL]` for the layers `append` and `build` write.
struct CompressionOption: ParsableArguments {
    @Option(name: .customLong("compression"), help: ArgumentHelp("Compress new layers with gzip (the default, level 6) or zstd (level 3), or at :LEVEL (gzip 1-9, zstd 1-19); zstd needs an OCI manifest (see README).", valueName: "ALGO[:LEVEL]"))
    var text: String?

    /// The setting, checked before any traffic (exit 2 when it names nothing samforge writes).
    func parsed() throws -> Compression {
        try Self.parse(text, option: "--compression") ?? .gzip
    }

    static func parse(_ text: String?, option: String) throws -> Compression? {
        guard let text else { return nil }
        do { return try Compression(parsing: text) } catch {
            throw UsageError("\(option) \(escapedForMessage(text)): \(Self.reason(error))")
        }
    }

    private static func reason(_ error: LayerError) -> String {
        if case .invalidCompression(_, let reason) = error { return reason }
        return error.description
    }
}
