import Foundation
import OCI
import Streams

/// The OCI distribution API over libcurl: endpoint discovery, auth, retries and redirects
/// live here; blobs, manifests and tags are in the `RegistryClient+*.swift` files.
/// One client is shared by every transfer of a run, so tokens and connections are reused.
public final class RegistryClient: @unchecked Sendable {
    public let options: RegistryOptions
    let transport: CurlTransport
    private let lock = NSLock()
    private var hosts: [String: HostState] = [:]
    private var pings: [String: Task<Void, Error>] = [:]
    private var chunkMinimums: [String: Int64] = [:]
    /// Upload sessions a refused mount opened (202), by repository and blob: the upload of
    /// that blob goes on in it instead of opening another (as the distribution spec allows).
    private var spareSessions: [String: String] = [:]
    /// `--max-requests-per-second`: the run's budget per registry.
    let pacer: RequestPacer
    /// Every manifest pulled this run, by repository and digest, and what its tags named.
    let manifests = ManifestCache()
    /// Hosts that ignore `?tag=` on a manifest PUT (they echo no `OCI-Tag`).
    var ignoresTagQuery: Set<String> = []
    private var resolvedCredentials: [String: Credentials?] = [:]
    private var badMirrors: Set<String> = []
    private let credentialLock = NSLock()

    /// The minimum PATCH size a registry announced (`OCI-Chunk-Min-Length`), per host.
    var minimumChunk: [String: Int64?] {
        get { withLock { chunkMinimums.mapValues { Optional($0) } } }
    }
    func setMinimumChunk(_ host: String, _ value: Int64?) { withLock { chunkMinimums[host] = value } }

    /// Keeps `location` as the spare session for `digest` in `repository`; returns the spare it
    /// replaces (to cancel).
    func keepSpareSession(_ location: String, for digest: Digest, in repository: Repository) -> String? {
        withLock { spareSessions.updateValue(location, forKey: "\(repository)@\(digest)") }
    }

    func takeSpareSession(for digest: Digest, in repository: Repository) -> String? {
        withLock { spareSessions.removeValue(forKey: "\(repository)@\(digest)") }
    }

    public init(options: RegistryOptions = RegistryOptions(), transport: CurlTransport = CurlTransport()) {
        self.options = options
        self.transport = transport
        pacer = RequestPacer(rates: options.requestRates)
    }

    func isBadMirror(_ host: String) -> Bool { withLock { badMirrors.contains(host) } }
    func markBadMirror(_ host: String) { _ = withLock { badMirrors.insert(host) } }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func hostState(_ host: String) -> HostState {
        withLock {
            if let state = hosts[host] { return state }
            let state = HostState()
            hosts[host] = state
            return state
        }
    }

    /// The credentials for `host`, looked up once per run: a lookup may read config.json or run
    /// a credential helper (ecr-login calls AWS), far too costly for every request.
    func credentials(for host: String) throws -> Credentials? {
        // Its own lock, held through the lookup: concurrent first requests wait for one lookup.
        credentialLock.lock()
        defer { credentialLock.unlock() }
        if let known = resolvedCredentials[host] { return known }
        let found = try options.credentials?.credentials(for: host)
        resolvedCredentials[host] = .some(found)
        return found
    }

    func tls(for host: String) -> TLSOptions {
        TLSOptions(caFile: options.caFile, skipVerify: options.isInsecure(host))
    }

    // MARK: endpoint discovery

    /// Pings `/v2/` once per host (concurrent callers share the ping) to learn the scheme
    /// and the auth challenge.
    func ensureEndpoint(_ host: String) async throws -> String {
        let task: Task<Void, Error> = withLock {
            if let existing = pings[host] { return existing }
            let task = Task { try await self.ping(host) }
            pings[host] = task
            return task
        }
        do { try await task.value } catch {
            withLock { pings[host] = nil }
            throw error
        }
        let state = hostState(host)
        return withLock { state.scheme ?? "https" }
    }

    /// HTTPS first; loopback and `--insecure-registry` hosts fall back to plain HTTP when the
    /// server does not speak TLS (as docker and crane do). A certificate that fails
    /// verification is reported, never silently downgraded.
    private func ping(_ host: String) async throws {
        let plainAllowed = isLoopbackHost(host) || options.isInsecure(host)
        let schemes = plainAllowed ? ["https", "http"] : ["https"]
        var lastError: TransportError?
        for scheme in schemes {
            let request = HTTPRequest(method: "GET", url: "\(scheme)://\(host)/v2/")
            do {
                let response = try await perform(request, host: host, sink: DiscardingRestartableSink(), followRedirects: true)
                let state = hostState(host)
                let challenge = response.status == 401 ? response.headerValues("www-authenticate").lazy.compactMap(Challenge.parse).first : nil
                withLock {
                    state.scheme = scheme
                    state.challenge = challenge
                }
                return
            } catch let error as TransportError where scheme == "https" && plainAllowed && error.proxy == nil
                        && (error.kind == .tlsHandshake || error.kind == .other) {
                lastError = error
                continue
            } catch let error as TransportError {
                throw mapTransport(error, host: host)
            }
        }
        throw lastError.map { mapTransport($0, host: host) } ?? RegistryError.unreachable(host: host, detail: "no usable endpoint")
    }
}
