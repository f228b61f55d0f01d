import OCI

/// How a new layer is compressed (`--compression gzip|zstd[:LEVEL]`). gzip level 6 is the
/// default and gives the same bytes it always gave (users pin digests); zstd needs an OCI
/// manifest (Docker schema2 has no zstd layer type) and a reader that knows it: containerd
/// 1.5+, podman, Docker 23+.
public struct Compression: Sendable, Hashable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, CaseIterable {
        case gzip, zstd
    }

    public let algorithm: Algorithm
    public let level: Int32

    /// zlib level 6 with a pinned header: digest-stable.
    public static let gzip = Compression(checked: .gzip, level: 6)
    /// zstd's own default level.
    public static let zstd = Compression(checked: .zstd, level: 3)

    /// The levels each algorithm takes here (zstd's 20-22 need --ultra windows: refused).
    public static func levels(_ algorithm: Algorithm) -> ClosedRange<Int32> {
        algorithm == .gzip ? 1...9 : 1...19
    }

    public init(_ algorithm: Algorithm, level: Int32? = nil) throws(LayerError) {
        let level = level ?? (algorithm == .gzip ? Self.gzip.level : Self.zstd.level)
        let range = Self.levels(algorithm)
        guard range.contains(level) else {
            throw .invalidCompression("\(algorithm):\(level)", reason: "\(algorithm) levels are \(range.lowerBound)-\(range.upperBound)")
        }
        self.init(checked: algorithm, level: level)
    }

    private init(checked algorithm: Algorithm, level: Int32) {
        self.algorithm = algorithm
        self.level = level
    }

    /// `gzip`, `zstd`, `gzip:9`, `zstd:19`.
    public init(parsing text: String) throws(LayerError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let algorithm = Algorithm(rawValue: parts[0].lowercased()) else {
            throw .invalidCompression(text, reason: "expected gzip or zstd, optionally with :LEVEL")
        }
        guard parts.count == 2 else {
            try self.init(algorithm)
            return
        }
        guard let level = Int32(parts[1]) else {
            throw .invalidCompression(text, reason: "the level must be a number")
        }
        try self.init(algorithm, level: level)
    }

    /// `zstd:3`.
    public var description: String { "\(algorithm.rawValue):\(level)" }

    /// The layer media type in a manifest of the given flavour. zstd has only the OCI type.
    public func layerMediaType(docker: Bool) -> String {
        switch algorithm {
        case .gzip: return docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip
        case .zstd: return MediaType.ociLayerZstd
        }
    }

    /// Whether a Docker schema2 manifest can name such a layer.
    public var fitsDockerSchema2: Bool { algorithm == .gzip }
}
