import Assembly
import OCI

/// An official AWS SAM build image reference, checked strictly before any network traffic:
/// `…/build-RUNTIME:X.Y.Z[-YYYYMMDDhhmmss][-x86_64][@sha256:…]`, in a registry, in an OCI
/// layout mirrored with `samforge copy` (`oci:DIR/build-RUNTIME:X.Y.Z-…-x86_64`: the rules read
/// the directory's last component and the tag), or in a docker archive (`docker-archive:FILE:
/// REPOSITORY:TAG`: the rules read the name it was saved as). The Harness script's `sed` silently echoes
/// back what it cannot parse; this refuses it with a reason instead.
public struct SAMBaseReference: Sendable, Hashable {
    public let location: ImageLocation
    /// `nodejs18.x`, `provided.al2023`, `java8.al2` (dots are part of the name).
    public let runtime: String
    /// `1.143.0`
    public let samVersion: String
    /// `20250502200316` when the tag carries a build timestamp.
    public let buildTimestamp: String?
    /// True when the image is not on `public.ecr.aws/sam/` (a private mirror or a layout):
    /// allowed, with a warning.
    public let isMirror: Bool

    public struct RejectionError: KindedError, Sendable, Equatable {
        public let input: String
        public let reason: String
        /// Where the value came from (`--sam-base-image`, `SAM_BASE_IMAGE`, a matrix entry's
        /// `sam-base-image`), when the caller knows.
        public var name: String?
        public var kind: ErrorKind { .usage }
        public var description: String { "\(name ?? "invalid SAM base image") \"\(escapedForMessage(input))\": \(reason)" }

        public func named(_ name: String) -> RejectionError {
            var named = self
            named.name = name
            return named
        }
    }

    public static let officialRegistry = "public.ecr.aws"
    public static let officialNamespace = "sam/"

    public init(parsing input: String) throws(RejectionError) {
        func reject(_ reason: String) -> RejectionError { RejectionError(input: input, reason: reason) }
        let location: ImageLocation
        do { location = try ImageLocation(parsing: input) } catch { throw reject(error.description) }
        let name: String, tag: String?
        switch location {
        case .registry(let reference):
            // Reference fills in `latest` for a missing tag: look at what the user wrote.
            let namePart = input.split(separator: "@", maxSplits: 1).first.map(String.init) ?? input
            let lastSegment = namePart.split(separator: "/").last.map(String.init) ?? namePart
            (name, tag) = (reference.repository, lastSegment.contains(":") ? reference.tag : nil)
        case .ociLayout(let directory, let reference):
            (name, tag) = (directory, reference)
        case .dockerArchive(_, let reference?):
            // `docker save` of the official image: the rules read the name it was saved as.
            let written = input.split(separator: ":", maxSplits: 2).dropFirst(2).first.map(String.init) ?? ""
            let lastSegment = written.split(separator: "@").first.map { $0.split(separator: "/").last.map(String.init) ?? "" } ?? ""
            (name, tag) = (reference.repository, lastSegment.contains(":") ? reference.tag : nil)
        case .dockerArchive(_, nil):
            throw reject("a docker archive base needs the name it was saved as: docker-archive:FILE:REPOSITORY:TAG")
        case .scratch:
            throw reject("a SAM build image is read from a registry, an oci: layout or a docker archive")
        }
        let lastComponent = name.split(separator: "/").last.map(String.init) ?? ""
        guard lastComponent.hasPrefix("build-"), lastComponent.count > "build-".count else {
            throw reject("repository must be a SAM build image named build-RUNTIME (e.g. public.ecr.aws/sam/build-nodejs18.x)")
        }
        guard let tag else {
            throw reject("a full version tag is required (e.g. :1.143.0-20250502200316-x86_64); untagged and digest-only references are not accepted")
        }
        let parsed = try Self.parseTag(tag, reject: reject)
        self.location = location
        self.runtime = String(lastComponent.dropFirst("build-".count))
        self.samVersion = parsed.version
        self.buildTimestamp = parsed.timestamp
        if case .registry(let reference) = location {
            isMirror = !(reference.registry == Self.officialRegistry && reference.repository.hasPrefix(Self.officialNamespace))
        } else {
            isMirror = true
        }
    }

    /// `X.Y.Z`, then optionally `-YYYYMMDDhhmmss`, then optionally `-x86_64`.
    static func parseTag(_ tag: String, reject: (String) -> RejectionError) throws(RejectionError) -> (version: String, timestamp: String?) {
        if tag.hasPrefix("latest") { throw reject("floating tag \"\(tag)\": use a full version tag such as 1.143.0-20250502200316-x86_64") }
        if tag.contains("arm64") || tag.contains("aarch64") { throw reject("arm64 images are not supported: the SAM plugin image is linux/amd64 only (use an -x86_64 tag)") }
        var parts = tag.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        let version = parts.removeFirst()
        let numbers = version.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
            throw reject("tag \"\(tag)\" does not start with a version X.Y.Z")
        }
        guard numbers.count == 3 else {
            if numbers.count < 3 { throw reject("floating version tag \"\(tag)\": use a full X.Y.Z version tag (floating tags have pointed at stale images)") }
            throw reject("tag \"\(tag)\" does not start with a version X.Y.Z")
        }
        var timestamp: String?
        if let next = parts.first, next.count == 14, next.allSatisfy({ $0.isASCII && $0.isNumber }) {
            timestamp = next
            parts.removeFirst()
        }
        if parts.first == "x86_64" { parts.removeFirst() }
        guard parts.isEmpty else { throw reject("tag \"\(tag)\" is not of the form X.Y.Z[-YYYYMMDDhhmmss][-x86_64]") }
        return (version, timestamp)
    }

    /// Lenient recognition for `inspect`: any `…/build-RUNTIME:X.Y.Z…` reference.
    public static func recognize(_ reference: Reference) -> (runtime: String, version: String)? {
        guard let last = reference.repository.split(separator: "/").last, last.hasPrefix("build-"), last.count > 6,
              let tag = reference.tag else { return nil }
        let version = tag.split(separator: "-").first.map(String.init) ?? tag
        let numbers = version.split(separator: ".")
        guard numbers.count == 3, numbers.allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return nil }
        return (String(last.dropFirst(6)), version)
    }
}
