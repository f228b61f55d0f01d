import ArgumentParser
import Layers
import OCI

/// `--compression gzip|zstd[:LEVEL]` for the layers `append` and `build` write.
struct CompressionOption: ParsableArguments {
    @Option(name: .customLong("compression"), help: ArgumentHelp("Compress new layers with gzip (the default, level 6) or zstd (level 3), or at :LEVEL (gzip 1-9, zstd 1-19); zstd needs an OCI manifest (see README).", valueName: "ALGO[:LEVEL]"))
    var text: String?

    /// The setting, checked before any traffic (exit 2 when it names nothing samforge writes,
    /// or what `--format` cannot hold).
    func parsed(format: ManifestFormat?) throws -> Compression {
        try Self.parse(text, format: format) ?? .gzip
    }

    static func parse(_ text: String?, format: ManifestFormat?) throws -> Compression? {
        guard let text else { return nil }
        let compression: Compression
        do { compression = try Compression(parsing: text) } catch {
            throw UsageError("--compression \(escapedForMessage(text)): \(Self.reason(error))")
        }
        if !compression.fitsDockerSchema2, format == .v2s2 {
            throw UsageError("--compression \(compression.algorithm) cannot go with --format v2s2: Docker schema2 has no \(compression.algorithm) layer type (use --format oci, or leave --format out)")
        }
        return compression
    }

    private static func reason(_ error: LayerError) -> String {
        if case .invalidCompression(_, let reason) = error { return reason }
        return error.description
    }
}
