import Assembly
import Foundation
import OCI

/// The image's tags: `VERSION-RUNTIME-SAMVERSION-linux-amd64`, and with `--timestamp-tag`
/// also `…-linux-amd64-YYYYMMDDhhmmss` (the seed script's FINAL_IMAGE).
public enum SAMTags {
    public static let platformSuffix = "linux-amd64"
    /// Tag grammar limit (docker/distribution): 128 characters.
    static let maximumLength = 128

    public static func primary(version: String, runtime: String, samVersion: String) -> String {
        "\(version)-\(runtime)-\(samVersion)-\(platformSuffix)"
    }

    public static func timestamped(_ primary: String, timestamp: String) -> String {
        "\(primary)-\(timestamp)"
    }

    /// VERSION becomes the front of a tag: `[A-Za-z0-9_][A-Za-z0-9._-]*`, and the longest tag
    /// it makes must stay within 128 characters. `name`: where the value came from (`--version`,
    /// `VERSION`, a matrix entry's `version`), for the message.
    public static func validateVersion(_ version: String, runtime: String, samVersion: String, name: String = "VERSION") throws(SAMInputError) {
        guard let first = version.utf8.first else { throw SAMInputError("\(name) is empty") }
        func word(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f }
        let shown = "\(name) \"\(escapedForMessage(version))\""
        guard word(first), version.utf8.allSatisfy({ word($0) || $0 == 0x2e || $0 == 0x2d }) else {
            throw SAMInputError("\(shown): it starts the image tag, so it may only contain letters, digits, '_', '.' and '-' and must not start with '.' or '-'")
        }
        let longest = timestamped(primary(version: version, runtime: runtime, samVersion: samVersion), timestamp: "00000000000000")
        guard longest.utf8.count <= maximumLength else {
            throw SAMInputError("\(shown): the tag \(longest) would exceed \(maximumLength) characters")
        }
    }

    /// `YYYYMMDDhhmmss` in UTC, as the seed's `date -u +%Y%m%d%H%M%S`.
    public static func timestamp(epoch: Int64) -> String {
        let c = utcComponents(epoch)
        return String(format: "%04d%02d%02d%02d%02d%02d", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }

    /// RFC 3339 in UTC with second precision (the config's `created`).
    public static func rfc3339(epoch: Int64) -> String {
        let c = utcComponents(epoch)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }

    private static func utcComponents(_ epoch: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var time = time_t(epoch)
        var parts = tm()
        gmtime_r(&time, &parts)
        return (Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}

/// TARGET_REPO: where the image goes, without tag (samforge chooses the tags): a registry
/// repository, an `oci:DIR[:REPO]` layout (each tag becomes a ref name, `REPO:TAG` when REPO is
/// given) or a `docker-archive:FILE[:REPO]` (RepoTags `REPO:TAG`, default REPO aws-sam-plugin).
public struct TargetRepository: Sendable, Hashable {
    /// As the user wrote it: registry results are printed as `TEXT:TAG@DIGEST`.
    public let text: String
    public let location: ImageLocation

    /// The archive's repository name when TARGET_REPO gives none (`docker load` shows it).
    public static let defaultArchiveRepository = "aws-sam-plugin"

    /// `name`: where the value came from (`--target-repo`, `TARGET_REPO`, a matrix entry's
    /// `target-repo`), for the message.
    public init(parsing text: String, name: String = "TARGET_REPO") throws(SAMInputError) {
        let shown = "\(name) \"\(escapedForMessage(text))\""
        let location: ImageLocation
        do { location = try ImageLocation(parsing: text) } catch { throw SAMInputError("\(name): \(error.description)") }
        let repository: String?
        switch location {
        case .registry: repository = text.hasPrefix("docker://") ? String(text.dropFirst("docker://".count)) : text
        case .ociLayout(_, let reference): repository = reference
        case .dockerArchive: repository = text.split(separator: ":", maxSplits: 2).dropFirst(2).first.map(String.init)
        case .scratch: throw SAMInputError("\(shown): give a registry repository, oci:DIR or docker-archive:FILE")
        }
        if let repository, !Self.isBareRepository(repository) {
            throw SAMInputError("\(shown): give a repository without tag or digest (the tags are VERSION-RUNTIME-SAMVERSION-linux-amd64)")
        }
        self.text = text
        self.location = location
    }

    /// `host/team/app`, not `…:tag` nor `…@sha256:…` (a port in the host is fine).
    static func isBareRepository(_ name: String) -> Bool {
        let last = name.split(separator: "/").last.map(String.init) ?? name
        return !name.contains("@") && !last.contains(":") && (try? Reference(parsing: name)) != nil
    }

    /// The registry reference, when the target is a registry.
    public var reference: Reference? { location.registryReference.map { Reference(registry: $0.registry, repository: $0.repository) } }
}
