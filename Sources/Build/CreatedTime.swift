import Foundation

extension ImagePlan.Created {
    /// SOURCE_DATE_EPOCH wins; else `--created now` (the clock) or an RFC 3339 time; else the
    /// base image's own `created`.
    public init(option: String?, epoch: Int64?, now: Int64) throws(BuildError) {
        if let epoch { self = .fixed(Self.rfc3339(epoch: epoch)); return }
        guard let option else { self = .base; return }
        if option == "now" { self = .fixed(Self.rfc3339(epoch: now)); return }
        guard Self.isRFC3339(option) else {
            throw .input("--created \(option): expected now or an RFC 3339 time such as 2025-01-31T12:00:00Z")
        }
        self = .fixed(option)
    }

    /// RFC 3339 in UTC with second precision.
    public static func rfc3339(epoch: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
    }

    /// `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`.
    static func isRFC3339(_ text: String) -> Bool {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if formatter.date(from: text) != nil { return true }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) != nil
    }
}
