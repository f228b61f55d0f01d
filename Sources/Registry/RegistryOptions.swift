/// How the client reaches registries: TLS trust, plain-HTTP exceptions, credentials, retries.
public struct RegistryOptions: Sendable {
    /// `HOST[:PORT]` values from `--insecure-registry`: HTTPS without verification, then plain HTTP.
    public var insecureHosts: Set<String>
    /// `--insecure` (as crane's): every host is treated as named by `--insecure-registry`.
    public var insecureEverywhere = false
    /// `--ca-file`: an extra CA trusted for HTTPS.
    public var caFile: String?
    public var credentials: CredentialSource?
    public var retry: RetryPolicy
    /// Request log for `--verbose`; Authorization values are redacted before it sees them.
    public var log: (@Sendable (String) -> Void)?
    /// Something the user should know that does not stop the command (a hostile tag skipped):
    /// one line, already escaped.
    public var warn: (@Sendable (String) -> Void)?
    /// The hosts a command pushes to: DOCKER_USERNAME/DOCKER_PASSWORD apply there (and the
    /// hint of an authentication error says so only there).
    public var pushHosts: Set<String> = []
    /// The repositories a command pushes to: a token for a registry asks for push there with its
    /// first request (one token serves the run), and pulls from them never go anonymously.
    public var pushRepositories: Set<Repository> = []
    /// `--max-requests-per-second HOST=N`: at most N requests a second to HOST (host or
    /// host:port, as a reference names it), shared by every request of the run.
    public var requestRates: [String: Double] = [:]
    /// registries.conf: mirrors for pulls, location rewrites, blocked registries.
    public var registriesConf: RegistriesConf?
    /// Why registries.conf could not be used: every registry operation fails with it.
    public var registriesConfError: String?
    /// Connect, first-byte and stall timeouts of every request.
    public var timeouts = TransferTimeouts()
    /// `--timeout`: every request ends by then, and no retry waits past it.
    public var deadline: Deadline?
    /// Each retry, announced before its wait: `retrying GET …/manifests/1.0 in 2 s: HTTP 503`.
    public var onRetry: (@Sendable (String) -> Void)?

    public init(insecureHosts: Set<String> = [], caFile: String? = nil, credentials: CredentialSource? = nil,
                retry: RetryPolicy = RetryPolicy(), log: (@Sendable (String) -> Void)? = nil,
                warn: (@Sendable (String) -> Void)? = nil) {
        self.insecureHosts = insecureHosts
        self.caFile = caFile
        self.credentials = credentials
        self.retry = retry
        self.log = log
        self.warn = warn
    }

    func isInsecure(_ host: String) -> Bool {
        if insecureEverywhere || insecureHosts.contains(host) { return true }
        // `--insecure-registry example.com` covers every port of that host.
        let bare = host.split(separator: ":").first.map(String.init) ?? host
        return insecureHosts.contains(bare)
    }

    /// Whether a request to `url` may carry credentials: over HTTPS always; over plain HTTP
    /// only when the URL's own host is loopback or named by `--insecure-registry`
    /// (every host with `--insecure`).
    public func allowsCredentials(to url: String) -> Bool {
        let lowered = url.lowercased()
        if lowered.hasPrefix("https://") { return true }
        guard lowered.hasPrefix("http://") else { return false }
        let target = hostOf(url)
        return isLoopbackHost(target) || isInsecure(target)
    }
}
