import OCI

/// Everything the registry client can fail with, each rendered as one line that names the
/// registry (or repository, or reference) and the cause. Secrets never appear here.
public enum RegistryError: Error, Sendable, CustomStringConvertible {
    case unreachable(host: String, detail: String)
    case tlsVerification(host: String, detail: String)
    case insecureCredentials(host: String)
    /// `pushTarget`: DOCKER_USERNAME/DOCKER_PASSWORD would apply to this host.
    case authenticationRequired(host: String, pushTarget: Bool = false)
    case authenticationFailed(host: String, detail: String)
    case denied(host: String, repository: String, detail: String)
    case manifestUnknown(reference: String)
    case repositoryUnknown(repository: String)
    case blobUnknown(repository: String, digest: Digest)
    case digestMismatch(what: String, expected: Digest, actual: Digest)
    case sizeMismatch(what: String, expected: Int64, actual: Int64)
    case rateLimited(host: String, detail: String, retryAfter: Double? = nil)
    /// A pull allowance used up (Docker Hub's `ratelimit-remaining: 0`): waiting helps, retrying does not.
    case pullLimitReached(host: String, info: RateLimitInfo, detail: String)
    /// The registry refused a request for a reason it has and distribution has not (a media type
    /// it does not take, a namespace that does not exist, a referrer of an index…): `hint` says
    /// what is likely wrong and what to do.
    case refused(what: String, status: Int, detail: String, hint: String, kind: ErrorKind)
    case unexpectedStatus(operation: String, status: Int, detail: String, retryAfter: Double? = nil)
    case invalidResponse(operation: String, detail: String)
    case invalidManifest(reference: String, detail: String)
    case platformNotFound(reference: String, platform: String, available: [String])
    case invalidTag(repository: String, tag: String)
    case commandTimedOut(limit: Double, operation: String)
    case proxyFailed(proxy: String, host: String, detail: String)
    /// The registry no longer knows the upload session (it took bytes the client did not see
    /// acknowledged, or expired): a new session fixes it.
    case uploadSessionLost(repository: String, detail: String)
    case blocked(repository: String, file: String)
    case invalidConfiguration(detail: String)
    /// A mirror's bytes did not match the digest: it is skipped from now on, so another
    /// attempt (the primary) may well succeed.
    case mirrorServedBadData(mirror: String, detail: String)

    /// A failure another attempt may not meet: a dropped connection or a busy registry.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .rateLimited, .uploadSessionLost, .mirrorServedBadData: return true
        case .unexpectedStatus(_, let status, _, _): return RetryPolicy.isRetryable(status: status)
        default: return false
        }
    }

    /// The wait the registry asked for (`Retry-After`, in seconds) with a 429 or 503.
    public var retryAfter: Double? {
        switch self {
        case .rateLimited(_, _, let seconds), .unexpectedStatus(_, _, _, let seconds): return seconds
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let host, let detail): return "cannot reach registry \(host): \(detail)"
        case .tlsVerification(let host, let detail):
            return "TLS verification failed for \(host): \(detail) (trust its CA with --ca-file, or name it with --insecure-registry)"
        case .insecureCredentials(let host):
            return "refusing to send credentials to \(host) over plain HTTP (use HTTPS, or --insecure-registry \(host) if you must)"
        case .authenticationRequired(let host, let pushTarget):
            let environment = pushTarget ? ", or set DOCKER_USERNAME and DOCKER_PASSWORD" : ""
            return "authentication required by \(host): no credentials found (samforge login \(host)\(environment))"
        case .authenticationFailed(let host, let detail): return "authentication failed for \(host): \(detail)"
        case .denied(let host, let repository, let detail): return "access denied to \(host)/\(repository): \(detail)"
        case .manifestUnknown(let reference):
            // A tag that is not there: say how to see the ones that are.
            if !reference.contains("@"), let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") {
                return "\(reference): manifest unknown (no such tag; samforge tags \(reference[..<colon]) lists the tags)"
            }
            return "\(reference): manifest unknown (no such tag or digest)"
        case .repositoryUnknown(let repository): return "\(repository): repository not found"
        case .blobUnknown(let repository, let digest): return "\(repository): blob \(digest) not found"
        case .digestMismatch(let what, let expected, let actual): return "\(what): digest mismatch (expected \(expected), got \(actual))"
        case .sizeMismatch(let what, let expected, let actual): return "\(what): size mismatch (expected \(expected) bytes, got \(actual))"
        case .rateLimited(let host, let detail, let retryAfter):
            return "rate limited by \(displayHost(host)): \(detail)" + (retryAfter.map { " (it asks to wait \(formatDelay($0)))" } ?? "")
        case .pullLimitReached(let host, let info, _):
            let when = info.reset.map { "it resets in \(RateLimitInfo.duration($0))" }
                ?? info.window.map { "the \(RateLimitInfo.duration(Double($0))) window frees pulls as older ones age out" }
                ?? "it frees up with time"
            return "pull rate limit of \(displayHost(host)) reached: \(info.allowance), none left; \(when)"
                + " (wait, or log in for a higher limit: samforge login \(displayHost(host)))"
        case .refused(let what, let status, let detail, let hint, _):
            return "\(what): refused with HTTP \(status)" + (detail.isEmpty ? "" : " (\(detail))") + ": \(hint)"
        case .unexpectedStatus(let operation, let status, let detail, _):
            return "\(operation) failed: HTTP \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        case .invalidResponse(let operation, let detail): return "\(operation): invalid response: \(detail)"
        case .invalidManifest(let reference, let detail): return "\(reference): \(detail)"
        case .platformNotFound(let reference, let platform, let available):
            return "\(reference): no \(platform) image in the index (available: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .blocked(let repository, let file): return "\(repository): the registry is blocked by \(file)"
        case .invalidConfiguration(let detail): return detail
        case .mirrorServedBadData(let mirror, let detail): return "mirror \(mirror) served wrong data (\(detail)); it is not used again"
        case .uploadSessionLost(let repository, let detail): return "\(repository): upload session lost (\(detail))"
        case .proxyFailed(let proxy, let host, let detail):
            return "proxy \(proxy) failed on the way to \(host): \(detail) (check HTTPS_PROXY, HTTP_PROXY and NO_PROXY)"
        case .commandTimedOut(let limit, let operation):
            return "timed out after \(formatDelay(limit)) (--timeout) during \(operation)"
        case .invalidTag(let repository, let tag):
            return "\(repository): refusing the tag \(RemoteName.escaped(tag)): not a valid tag name"
        }
    }
}

/// The `{"errors":[{"code","message"}]}` body of a registry error response.
struct RegistryErrorBody: Decodable {
    struct Entry: Decodable {
        var code: String?
        var message: String?
        /// A `detail` that is text (zot's "cannot change media-type", a digest); structured ones are left out.
        var detail: String?

        enum CodingKeys: String, CodingKey { case code, message, detail }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            code = try container.decodeIfPresent(String.self, forKey: .code)
            message = try container.decodeIfPresent(String.self, forKey: .message)
            detail = try? container.decodeIfPresent(String.self, forKey: .detail)
        }

        var text: String {
            let words = [code, message].compactMap { $0 }.joined(separator: ": ")
            guard let detail, !detail.isEmpty, !words.contains(detail) else { return words }
            return words + " (\(detail.prefix(200)))"
        }
    }
    var errors: [Entry]?

    /// A response's error body: JSON only when it says it is (Docker Hub's abuse limit answers
    /// `text/plain` "Too Many Requests (HAP429)."), else its first words as plain text.
    static func summary(_ response: HTTPResponse) -> (codes: [String], text: String) {
        let type = response.header("content-type")?.lowercased() ?? ""
        guard type.isEmpty || type.contains("json") else { return summary(text: response.errorBody) }
        return summary(response.errorBody)
    }

    static func summary(_ bytes: [UInt8]) -> (codes: [String], text: String) {
        guard let body = try? UntrustedJSON.decode(RegistryErrorBody.self, from: bytes), let errors = body.errors, !errors.isEmpty else {
            return summary(text: bytes)
        }
        let codes = errors.compactMap(\.code)
        let text = errors.map(\.text).joined(separator: "; ")
        return (codes, oneLine(text))
    }

    private static func summary(text bytes: [UInt8]) -> (codes: [String], text: String) {
        let text = oneLine(String(decoding: bytes.prefix(200), as: UTF8.self))
        return ([], text.hasPrefix("<") ? "" : text)  // an HTML error page says nothing useful in one line
    }

    /// The server's words as one line of plain text: line breaks and other control characters
    /// (a hostile registry's terminal escape sequences too) become spaces, runs of spaces one.
    static func oneLine(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let isBreakOrControl = scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
            scalars.append(isBreakOrControl ? " " : scalar)
        }
        return String(scalars).split(separator: " ").joined(separator: " ")
    }
}

import Foundation
