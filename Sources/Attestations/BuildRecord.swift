import OCI

/// What a build knows about the image it made, as plain values: the subject, every input with
/// the digest it resolved to, and every file the new layers add. The SBOM and the provenance
/// statement are both functions of this record, so the same inputs give the same documents.
public struct BuildRecord: Sendable, Equatable {
    /// The image manifest the documents describe.
    public struct Subject: Sendable, Equatable {
        /// `registry.example.com/team/aws-sam-plugin` (or a layout's or archive's name).
        public var name: String
        public var tag: String?
        public var manifest: Descriptor
        public init(name: String, tag: String?, manifest: Descriptor) {
            self.name = name
            self.tag = tag
            self.manifest = manifest
        }
    }

    /// An input: an image (by manifest digest) or a file or download (by SHA-256).
    public struct Input: Sendable, Equatable {
        public enum Kind: String, Sendable { case baseImage = "base image", image, download, file }
        public var kind: Kind
        /// "plugin image", "docker CLI image", "go-template", "--file"…
        public var role: String
        /// As given: a reference, a layout, a URL (redacted), a path.
        public var location: String
        /// For images: the repository (`registry/name`), for the purl's repository_url.
        public var repository: String?
        public var tag: String?
        public var digest: Digest
        public init(kind: Kind, role: String, location: String, repository: String? = nil, tag: String? = nil, digest: Digest) {
            self.kind = kind
            self.role = role
            self.location = location
            self.repository = repository
            self.tag = tag
            self.digest = digest
        }
    }

    /// A regular file of the new layers: the path in the image, its hashes and size. The hashes
    /// are kept as bytes (a record can list 100,000 files), shown as lowercase hex.
    public struct File: Sendable, Equatable {
        public var path: String
        public var size: Int64
        private var hashes: Hashes

        public init(path: String, sha256: String, sha1: String, size: Int64) {
            self.path = path
            self.size = size
            hashes = Hashes(sha256: sha256, sha1: sha1)
        }

        public var sha256: String {
            get { hashes.sha256 }
            set { hashes = Hashes(sha256: newValue, sha1: sha1) }
        }

        public var sha1: String {
            get { hashes.sha1 }
            set { hashes = Hashes(sha256: sha256, sha1: newValue) }
        }

        /// The SHA-1's 20 bytes, big-endian in a tuple that sorts as its hex does; nil when the
        /// hashes were not hex (then only the text sorts them).
        var sha1Key: (UInt64, UInt64, UInt32)? {
            guard case .bytes(let bytes) = hashes else { return nil }
            func word(_ start: Int, _ count: Int) -> UInt64 { (start..<start + count).reduce(0) { $0 << 8 | UInt64(bytes[$1]) } }
            return (word(32, 8), word(40, 8), UInt32(word(48, 4)))
        }

        /// The lowercase hex of a `sha1Key`.
        static func hex(_ key: (UInt64, UInt64, UInt32)) -> [UInt8] {
            let digits = Array("0123456789abcdef".utf8)
            var result: [UInt8] = []
            result.reserveCapacity(40)
            for (value, bytes) in [(key.0, 8), (key.1, 8), (UInt64(key.2), 4)] {
                for shift in stride(from: bytes * 8 - 4, through: 0, by: -4) { result.append(digits[Int(value >> UInt64(shift) & 0xF)]) }
            }
            return result
        }

        /// SHA-256 then SHA-1 as bytes when both are lowercase hex of their length (always, for
        /// hashes samforge took), else the text as given.
        enum Hashes: Sendable, Equatable {
            case bytes(SIMD64<UInt8>)
            case text(sha256: String, sha1: String)

            init(sha256: String, sha1: String) {
                var bytes = SIMD64<UInt8>()
                guard Self.parse(sha256, count: 32, into: &bytes, at: 0), Self.parse(sha1, count: 20, into: &bytes, at: 32) else {
                    self = .text(sha256: sha256, sha1: sha1)
                    return
                }
                self = .bytes(bytes)
            }

            var sha256: String {
                switch self {
                case .bytes(let bytes): return Self.hex(bytes, from: 0, count: 32)
                case .text(let sha256, _): return sha256
                }
            }

            var sha1: String {
                switch self {
                case .bytes(let bytes): return Self.hex(bytes, from: 32, count: 20)
                case .text(_, let sha1): return sha1
                }
            }

            private static let digits = Array("0123456789abcdef".utf8)

            private static func parse(_ text: String, count: Int, into bytes: inout SIMD64<UInt8>, at start: Int) -> Bool {
                guard text.utf8.count == count * 2 else { return false }
                var index = start, high: UInt8?
                for character in text.utf8 {
                    guard let value = digits.firstIndex(of: character).map(UInt8.init) else { return false }
                    if let first = high {
                        bytes[index] = first << 4 | value
                        index += 1
                        high = nil
                    } else {
                        high = value
                    }
                }
                return true
            }

            private static func hex(_ bytes: SIMD64<UInt8>, from start: Int, count: Int) -> String {
                String(unsafeUninitializedCapacity: count * 2) { buffer in
                    for offset in 0..<count {
                        buffer[offset * 2] = digits[Int(bytes[start + offset] >> 4)]
                        buffer[offset * 2 + 1] = digits[Int(bytes[start + offset] & 0x0F)]
                    }
                    return count * 2
                }
            }
        }
    }

    public var subject: Subject
    public var platform: Platform
    public var inputs: [Input]
    public var files: [File]
    /// RFC 3339: the image config's `created` (so the documents are as reproducible as the image).
    public var created: String
    /// `sam-plugin` or `append`: what recipe built it.
    public var recipe: String
    /// The command's inputs (never credentials), for the provenance's external parameters.
    public var parameters: [String: String]

    public init(subject: Subject, platform: Platform, inputs: [Input], files: [File], created: String, recipe: String, parameters: [String: String]) {
        self.subject = subject
        self.platform = platform
        self.inputs = inputs
        self.files = files
        self.created = created
        self.recipe = recipe
        self.parameters = parameters
    }

    public var base: Input? { inputs.first { $0.kind == .baseImage } }
}

/// Who made the documents.
public enum Builder {
    public static let version = "0.1.0"
    public static let id = "https://github.com/samforge/samforge"
    /// `https://github.com/samforge/samforge/buildtypes/RECIPE/v1`.
    public static func buildType(_ recipe: String) -> String { "\(id)/buildtypes/\(recipe)/v1" }
}
