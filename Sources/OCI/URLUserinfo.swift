/// Credentials written into a location as a URL's userinfo (`https://user:token@host/app`,
/// `user:token@host/app`): no reference takes them, and they must not reach an error line
/// (CI logs keep every line) when a command echoes what it was given.
public struct URLUserinfo: Sendable, Equatable {
    /// The user name, when one comes before a `:`.
    public let user: String?
    /// What must not be shown: the password, or the whole userinfo when it has no `:` (a
    /// token alone).
    public let secret: String
    /// The text with the secret replaced by `***`.
    public let redacted: String
    /// The text without scheme and userinfo (`host/app`), what a reference would be.
    public let bare: String

    /// Finds userinfo before the host: after a `scheme://` (any userinfo), or at the start
    /// of a text whose first `/` follows an `@` with a `:` before it (`user:token@host/…`;
    /// `alpine@sha256:…` has no `/`, `host/app@sha256:…` has its `@` after one).
    public init?(in text: String) {
        let schemeEnd = text.range(of: "://")?.upperBound
        let rest = text[(schemeEnd ?? text.startIndex)...]
        guard let slash = rest.firstIndex(of: "/") ?? (schemeEnd != nil ? rest.endIndex : nil) else { return nil }
        let authority = rest[..<slash]
        guard let at = authority.lastIndex(of: "@") else { return nil }
        let userinfo = authority[..<at]
        let colon = userinfo.firstIndex(of: ":")
        guard schemeEnd != nil || colon != nil else { return nil }
        let secretStart = colon.map { userinfo.index(after: $0) } ?? userinfo.startIndex
        let secret = String(userinfo[secretStart...])
        guard !secret.isEmpty else { return nil }
        user = colon.map { String(userinfo[..<$0]) }
        self.secret = secret
        redacted = String(text[..<secretStart]) + "***" + String(text[at...])
        bare = String(text[text.index(after: at)...])
    }
}
