import Streams

/// One HTTP exchange as the registry client describes it. The body, when present, is
/// streamed from a ByteSource; a retry needs it to be a RewindableSource.
public struct HTTPRequest: @unchecked Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: ByteSource?
    public var bodyLength: Int64?
    /// Aborted on SIGINT/SIGTERM; false for the clean-up a signal itself triggers.
    public var interruptible = true
    /// The body itself is a secret (a refresh token): it never follows a redirect to another host.
    public var secretBody = false

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: ByteSource? = nil, bodyLength: Int64? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bodyLength = bodyLength
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        headers.append((name, value))
    }

    public func header(_ name: String) -> String? {
        headers.last { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var canReplayBody: Bool { body == nil || body is RewindableSource }

    /// False when the caller retries itself: a body sent to an upload session may have moved
    /// the session on, so a retry needs a new session rather than the same request again.
    public var retryable = true

    /// Whether sending it again blindly is safe: a PATCH appends to an upload session that may
    /// already hold part of it, so its caller asks the session instead.
    public var canRetry: Bool { canReplayBody && retryable && method != "PATCH" }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased; repeated headers keep every value in order.
    public var headers: [String: [String]]
    /// The body of an error (status ≥ 300), capped: registries explain failures there.
    public var errorBody: [UInt8]
    public var url: String
    /// The request carried the stored credentials (Basic, or a token fetched with them): a 401
    /// then means they, or what they grant, were refused.
    public var authenticated = false

    public func header(_ name: String) -> String? { headers[name.lowercased()]?.first }

    /// The `Location` header as an absolute URL: a relative one is relative to this response's
    /// request (an upload session's `<uuid>?_state=…` answers the POST to `…/blobs/uploads/`).
    public var location: String? { header("location").map { resolveURL($0, against: url) } }
    public func headerValues(_ name: String) -> [String] { headers[name.lowercased()] ?? [] }
}

/// A failure below HTTP: DNS, connect, TLS, reset, timeout.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// `deadline`: the command's `--timeout` ran out (not worth another attempt).
    public enum Kind: Sendable { case dns, connect, tls, tlsHandshake, timeout, reset, aborted, deadline, other }
    public let kind: Kind
    public let code: Int32
    public let message: String
    public let url: String
    /// The error a body source or sink threw, which aborted the transfer.
    public let underlying: (any Error)?
    /// `host:port` of the proxy when the failure was the proxy's (unknown, refused, CONNECT
    /// answered with an error).
    public var proxy: String?

    public var description: String { message }

    /// Connection-level failures worth another attempt.
    public var isTransient: Bool { kind == .timeout || kind == .reset }
}

/// A sink that wants to know the status of the response whose body it is about to receive.
public protocol ResponseAwareSink: ByteSink {
    func responseStarted(status: Int)
}
