/// Credentials never come from the command line (other users read argv in ps, and shells
/// keep it in their history). The options other tools take for them (docker's and podman's
/// `login -p/--password`, skopeo's `--creds`, `--src-creds`, `--dest-creds`, crane's and
/// oras' `--password`, `--registry-token`) are refused by name before argument-parser reads
/// them, so none is taken for something else (`-phunter2` would be `-p -h …`, the help) and
/// no value is ever echoed.
enum CredentialArguments {
    static let longOptions = ["--password", "--pass", "--creds", "--src-creds", "--dest-creds", "--registry-token",
                              "--identity-token", "--src-password", "--dest-password"]

    /// The refusal for the first credential option in `arguments` (after the command's
    /// name, up to `--`), or nil.
    static func refusal(_ arguments: [String], path: [String]) -> UsageError? {
        for word in arguments.prefix(while: { $0 != "--" }) {
            let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            let isShortPassword = word.hasPrefix("-p") && !word.hasPrefix("--")
            guard isShortPassword || longOptions.contains(name) else { continue }
            let shown = isShortPassword ? "-p" : name
            if path == ["login"] {
                return UsageError("\(shown): samforge login never takes the password on the command line, where other users could read it; pipe it to --password-stdin (echo \"$PASSWORD\" | samforge login -u USER --password-stdin REGISTRY) or type it at the prompt")
            }
            return UsageError("\(shown): samforge never takes credentials on the command line, where other users could read them; run samforge login REGISTRY first, or set DOCKER_USERNAME and DOCKER_PASSWORD for the registry a command pushes to")
        }
        return nil
    }
}
