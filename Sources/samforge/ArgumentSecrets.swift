import OCI

/// Credentials a user wrote into an argument as a URL's userinfo (`https://user:token@host/…`)
/// are hidden from every error line, whichever message echoes the argument: CI logs keep
/// every line, and a reference refuses them anyway (saying how to log in instead).
enum ArgumentSecrets {
    static func redacted(_ line: String, arguments: [String]) -> String {
        arguments.compactMap { URLUserinfo(in: $0)?.secret }
            .reduce(line) { $0.replacingOccurrences(of: $1 + "@", with: "***@") }
    }
}
