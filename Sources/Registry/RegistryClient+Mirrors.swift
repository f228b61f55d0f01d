import OCI

/// registries.conf applied to requests: pulls (manifest and blob GETs) try the mirrors in
/// order, then the primary location; everything else (pushes, existence checks of a
/// destination, tag lists) goes where the reference says. A blocked registry is refused.
/// What makes a mirror safe is the digest check: a blob, and a manifest pulled by digest, is
/// verified whatever served it; a mirror that served wrong bytes is not asked again this run.
extension RegistryClient {
    struct PullSource {
        let repository: Repository
        let isMirror: Bool
    }

    /// registries.conf's name for a repository (`docker.io/…` for Docker Hub's API host).
    static func configName(_ repository: Repository) -> String {
        (repository.host == "registry-1.docker.io" ? "docker.io" : repository.host) + "/" + repository.name
    }

    static func repository(configName name: String) -> Repository {
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        let host = ["docker.io", "index.docker.io"].contains(parts[0]) ? "registry-1.docker.io" : parts[0]
        return Repository(host: host, name: parts.count > 1 ? parts[1] : "")
    }

    /// Refuses a repository registries.conf blocks (pulls and pushes alike), or any when the
    /// file could not be read.
    func checkAllowed(_ repository: Repository) throws {
        if let problem = options.registriesConfError { throw RegistryError.invalidConfiguration(detail: problem) }
        guard let conf = options.registriesConf, let entry = conf.entry(for: Self.configName(repository)), entry.blocked else { return }
        throw RegistryError.blocked(repository: repository.description, file: conf.path)
    }

    /// Where a pull of `repository` goes, in order: mirrors first (those not found bad this
    /// run), the primary location last.
    func pullSources(_ repository: Repository, byDigest: Bool) throws -> [PullSource] {
        try checkAllowed(repository)
        guard let conf = options.registriesConf else { return [PullSource(repository: repository, isMirror: false)] }
        let sources = conf.pullSources(for: Self.configName(repository), byDigest: byDigest).map {
            PullSource(repository: Self.repository(configName: $0.name), isMirror: $0.isMirror)
        }
        let usable = sources.filter { !$0.isMirror || !isBadMirror($0.repository.host) }
        return usable.isEmpty ? [PullSource(repository: repository, isMirror: false)] : usable
    }

    /// Whether a failed pull source gives way to the next: anything but the command's own
    /// deadline (a signal or a cancellation is not a RegistryError and never gets here).
    func fallsBack(_ error: RegistryError) -> Bool {
        if case .commandTimedOut = error { return false }
        return true
    }

    /// A mirror that cannot be reached, or served wrong bytes, is skipped for the rest of the
    /// run: every later pull would wait for it again.
    func noteMirrorFailure(_ source: PullSource, _ error: RegistryError) {
        guard source.isMirror else { return }
        switch error {
        case .unreachable, .tlsVerification, .digestMismatch, .sizeMismatch, .mirrorServedBadData: markBadMirror(source.repository.host)
        default: break
        }
        options.log?("mirror \(source.repository): \(error); trying the next source")
    }
}
