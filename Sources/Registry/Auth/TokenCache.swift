import Foundation

/// The scopes a token grants, per repository: `repository:NAME:pull,push` as a set of actions.
struct ScopeSet: Hashable, Sendable, CustomStringConvertible {
    var actions: [String: Set<String>] = [:]

    init(_ scopes: [Scope]) {
        for scope in scopes { actions[scope.repository, default: []].formUnion(scope.actions) }
    }

    /// Whether a token for `self` may serve a request needing `needed`.
    func covers(_ needed: ScopeSet) -> Bool {
        needed.actions.allSatisfy { repository, wanted in wanted.isSubset(of: actions[repository] ?? []) }
    }

    func union(_ other: ScopeSet) -> ScopeSet {
        var merged = self
        for (repository, more) in other.actions { merged.actions[repository, default: []].formUnion(more) }
        return merged
    }

    /// `pull` before `push`, as docker asks: `repository:NAME:pull,push`.
    var scopes: [Scope] {
        actions.keys.sorted().map { Scope(repository: $0, actions: actions[$0]!.sorted()) }
    }

    var description: String { scopes.map(\.description).joined(separator: " ") }
}

/// Bearer tokens of one registry host for a run: each scope set asked for once (concurrent
/// requests wait for the first token request instead of sending their own), and a token reused
/// by any request whose scopes it covers (push on a repository covers pull there), until it
/// expires or the registry rejects it.
final class TokenCache: @unchecked Sendable {
    struct Token: Sendable {
        let value: String
        let scopes: ScopeSet
        let expires: Date
    }

    private enum Lookup { case live(Token), pending(Task<Token, Error>, ScopeSet) }
    private let lock = NSLock()
    private var tokens: [Token] = []
    private var inFlight: [ScopeSet: Task<Token, Error>] = [:]

    /// A live token covering `needed`, or the one being fetched for a covering scope set, or a
    /// new fetch of `requested` (`fetch` runs once however many callers wait for it).
    func token(covering needed: ScopeSet, requesting requested: ScopeSet,
               fetch: @escaping @Sendable (ScopeSet) async throws -> Token) async throws -> Token {
        let lookup: Lookup = lock.withLock {
            let now = Date()
            tokens.removeAll { $0.expires <= now }
            if let live = tokens.last(where: { $0.scopes.covers(needed) }) { return .live(live) }
            if let pending = inFlight.first(where: { $0.key.covers(needed) }) { return .pending(pending.value, pending.key) }
            let task = Task { try await fetch(requested) }
            inFlight[requested] = task
            return .pending(task, requested)
        }
        switch lookup {
        case .live(let token): return token
        case .pending(let task, let key): return try await settle(task, key: key)
        }
    }

    /// The fetch's token, kept for later requests; the in-flight entry goes either way.
    private func settle(_ task: Task<Token, Error>, key: ScopeSet) async throws -> Token {
        do {
            let token = try await task.value
            lock.withLock {
                if inFlight[key] == task { inFlight[key] = nil }
                if !tokens.contains(where: { $0.value == token.value }) { tokens.append(token) }
            }
            return token
        } catch {
            lock.withLock { if inFlight[key] == task { inFlight[key] = nil } }
            throw error
        }
    }

    /// The registry answered 401 to `value`: it is not offered again (a newer token, fetched by
    /// another request meanwhile, stays).
    func reject(_ value: String) {
        lock.withLock { tokens.removeAll { $0.value == value } }
    }

    func removeAll() {
        lock.withLock { tokens.removeAll() }
    }
}
