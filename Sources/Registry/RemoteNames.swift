import OCI

/// Names a registry sends (tag lists, `Link` pages) are data from the other side, never paths:
/// a tag outside the distribution grammar could climb out of a URL path (`../../other/repo`),
/// smuggle a separator (`a/b`, `a%2Fb`) or drive a terminal (control characters). Such names
/// are checked before any use, and shown only escaped.
public enum RemoteName {
    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, byte for byte (no Unicode look-alikes): the one
    /// grammar `Reference` parses tags with.
    public static func isValidTag(_ tag: String) -> Bool { Reference.isValidTag(tag) }

    /// A hostile name as one quoted, printable-ASCII token: quotes and backslashes escaped,
    /// anything outside printable ASCII (control characters, bidi overrides, look-alikes) as
    /// `\u{…}`, and cut at `limit` characters.
    public static func escaped(_ text: String, limit: Int = 64) -> String {
        var out = ""
        var shown = 0
        for scalar in text.unicodeScalars {
            if shown == limit { out += "..."; break }
            shown += 1
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case " "..."~": out.unicodeScalars.append(scalar)
            default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
        return "\"" + out + "\""
    }

    /// One line for the names a listing skipped: a few of them, escaped, and how many more.
    static func skippedSummary(_ names: [String], in repository: Repository) -> String {
        let shown = names.prefix(3).map { escaped($0) }.joined(separator: ", ")
        let more = names.count > 3 ? " and \(names.count - 3) more" : ""
        let noun = names.count == 1 ? "tag that is not a valid tag name" : "tags that are not valid tag names"
        return "\(repository) lists \(names.count) \(noun); skipped: \(shown)\(more)"
    }
}
