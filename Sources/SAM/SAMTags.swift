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
    /// it makes must stay within 128 characters.
    public static func validateVersion(_ version: String, runtime: String, samVersion: String) throws(SAMInputError) {
        guard let first = version.utf8.first else { throw SAMInputError("VERSION is empty") }
        func word(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f }
        guard word(first), version.utf8.allSatisfy({ word($0) || $0 == 0x2e || $0 == 0x2d }) else {
            throw SAMInputError("invalid VERSION \"\(version)\": it starts the image tag, so it may only contain letters, digits, '_', '.' and '-' and must not start with '.' or '-'")
        }
        let longest = timestamped(primary(version: version, runtime: runtime, samVersion: samVersion), timestamp: "00000000000000")
        guard longest.utf8.count <= maximumLength else {
            throw SAMInputError("invalid VERSION \"\(version)\": the tag \(longest) would exceed \(maximumLength) characters")
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

/// TARGET_REPO: a repository, without tag or digest (samforge chooses the tags).
public struct TargetRepository: Sendable, Hashable {
    /// As the user wrote it: results are printed as `TEXT:TAG@DIGEST`.
    public let text: String
    public let reference: Reference

    public init(parsing text: String) throws(SAMInputError) {
        let reference: Reference
        do { reference = try Reference(parsing: text) } catch { throw SAMInputError("invalid TARGET_REPO: \(error.description)") }
        let lastComponent = text.split(separator: "/").last.map(String.init) ?? text
        guard !text.contains("@"), !lastComponent.contains(":") else {
            throw SAMInputError("invalid TARGET_REPO \"\(text)\": give a repository without tag or digest (tags are VERSION-RUNTIME-SAMVERSION-linux-amd64)")
        }
        self.text = text
        self.reference = Reference(registry: reference.registry, repository: reference.repository)
    }
}
