import CCurl
import Foundation
import Streams

/// TLS and plain-HTTP policy for one transfer.
public struct TLSOptions: Sendable, Hashable {
    /// An extra CA bundle trusted on top of the system's (`--ca-file`).
    public var caFile: String?
    /// Skip certificate verification (only for hosts named by `--insecure-registry`).
    public var skipVerify: Bool = false
    public init(caFile: String? = nil, skipVerify: Bool = false) {
        self.caFile = caFile
        self.skipVerify = skipVerify
    }
}

/// Blocking HTTP over libcurl easy handles. Handles are pooled so connections, DNS and TLS
/// sessions are reused across requests (keep-alive). Redirects are not followed here: the
/// client follows them itself so it can drop credentials on a change of host.
public final class CurlTransport: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [OpaquePointer] = []
    private let userAgent: String

    public init(userAgent: String = "samforge/0.1") {
        Self.initializeOnce
        self.userAgent = userAgent
    }

    deinit { for handle in idle { curl_easy_cleanup(UnsafeMutableRawPointer(handle)) } }

    private static let initializeOnce: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    private func checkout() -> UnsafeMutableRawPointer {
        lock.lock()
        defer { lock.unlock() }
        if let handle = idle.popLast() { return UnsafeMutableRawPointer(handle) }
        return curl_easy_init()
    }

    private func checkin(_ handle: UnsafeMutableRawPointer) {
        lock.lock()
        defer { lock.unlock() }
        if idle.count < 16 { idle.append(OpaquePointer(handle)) } else { curl_easy_cleanup(handle) }
    }

    /// Performs one request on the calling thread. A 2xx/1xx body goes to `sink`; an error body
    /// (status ≥ 300) is kept, capped, on the response instead.
    /// `cancelled` aborts the transfer from its next progress callback (at least once a second);
    /// so do `timeouts` (first byte, stall) and `deadline`, each as a `.timeout` failure.
    public func perform(_ request: HTTPRequest, tls: TLSOptions, sink: ByteSink?, cancelled: CancellationFlag? = nil,
                        timeouts: TransferTimeouts = TransferTimeouts(), deadline: Deadline? = nil) throws -> HTTPResponse {
        if request.interruptible { try Interruption.check() }
        if cancelled?.isSet == true { throw CancellationError() }
        let handle = checkout()
        defer { checkin(handle) }
        curl_easy_reset(handle)

        let context = TransferContext(body: request.body, sink: sink, interruptible: request.interruptible, cancelled: cancelled,
                                      timeouts: timeouts, deadline: deadline)
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }
        let userdata = unmanaged.toOpaque()

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        if request.body != nil { headerList = curl_slist_append(headerList, "Expect:") }

        ccurl_setopt_string(handle, CURLOPT_URL, request.url)
        ccurl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect * 1000))
        if let deadline { ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(deadline.remaining * 1000))) }
        ccurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        // Larger buffers than libcurl's 16/64 KiB defaults: fewer callbacks and pipe hand-offs per blob.
        ccurl_setopt_long(handle, CURLOPT_BUFFERSIZE, 512 * 1024)
        ccurl_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, 512 * 1024)
        ccurl_setopt_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        if ProxySettings.bypassesLoopback(request.url) { ccurl_setopt_string(handle, CURLOPT_NOPROXY, "*") }
        ccurl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")  // accept compressed error/JSON bodies
        ccurl_setopt_long(handle, CURLOPT_HTTP_CONTENT_DECODING, 1)
        if let caFile = tls.caFile {
            ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile)
            ccurl_setopt_string(handle, CURLOPT_CAPATH, "/etc/ssl/certs")  // keep the system CAs too
        }
        if tls.skipVerify {
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        }

        ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, userdata)
        ccurl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, headerCallback)
        ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, userdata)
        ccurl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, writeCallback)
        // Called at least once a second, even on a stalled connection: where a signal aborts it.
        ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, userdata)
        ccurl_setopt_xferinfo_callback(handle, progressCallback)

        switch request.method {
        case "GET": break
        case "HEAD": ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
        default:
            if request.body != nil {
                ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
                ccurl_setopt_pointer(handle, CURLOPT_READDATA, userdata)
                ccurl_setopt_data_callback(handle, CURLOPT_READFUNCTION, readCallback)
                if request.body is RewindableSource {
                    // A reused keep-alive connection that dies after the body went out: libcurl
                    // resends on a new one, rewinding through this (else CURLE_SEND_FAIL_REWIND).
                    ccurl_setopt_pointer(handle, CURLOPT_SEEKDATA, userdata)
                    ccurl_setopt_seek_callback(handle, seekCallback)
                }
                if let length = request.bodyLength { ccurl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(length)) }
            } else if request.method == "POST" || request.method == "PUT" || request.method == "PATCH" {
                // An empty body with an explicit Content-Length: 0.
                ccurl_setopt_long(handle, CURLOPT_POST, 1)
                ccurl_setopt_string(handle, CURLOPT_POSTFIELDS, "")
                ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, 0)
            }
            ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }

        let code = curl_easy_perform(handle)
        if code != CURLE_OK {
            // Whatever failed (the abort itself, or a pipe whose other end was interrupted), say why.
            if request.interruptible, let signal = Interruption.signal { throw InterruptedError(signal: signal) }
            if cancelled?.isSet == true { throw CancellationError() }
            if let underlying = context.failure { throw underlying }
            if deadline?.hasPassed == true { context.timedOut = .deadline }
            if let cause = context.timedOut {
                throw TransportError(kind: cause.isDeadline ? .deadline : .timeout, code: Int32(code.rawValue),
                                     message: cause.message, url: request.url, underlying: nil)
            }
            var error = Self.transportError(code, url: request.url, handle: handle, underlying: nil)
            error.proxy = Self.proxyFailure(code, url: request.url, handle: handle, error: &error)
            throw error
        }
        var status = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: context.headers, errorBody: context.errorBody, url: request.url)
    }

    /// The proxy, when the failure happened there: its name was unknown, it refused the
    /// connection, or it answered the CONNECT with an error status (which becomes the message).
    static func proxyFailure(_ code: CURLcode, url: String, handle: UnsafeMutableRawPointer, error: inout TransportError) -> String? {
        guard let proxy = ProxySettings.proxy(for: url) else { return nil }
        var connectStatus = 0
        ccurl_getinfo_long(handle, CURLINFO_HTTP_CONNECTCODE, &connectStatus)
        if connectStatus >= 300 {
            error = TransportError(kind: .other, code: error.code, message: "CONNECT answered HTTP \(connectStatus)"
                                   + (connectStatus == 407 ? " (proxy authentication required)" : ""), url: url, underlying: nil)
            return proxy
        }
        switch code {
        // Through a proxy, the connection libcurl makes is to the proxy.
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_PROXY: return proxy
        default: return nil
        }
    }

    static func transportError(_ code: CURLcode, url: String, handle: UnsafeMutableRawPointer, underlying: Error?) -> TransportError {
        let kind: TransportError.Kind
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .dns
        case CURLE_COULDNT_CONNECT: kind = .connect
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM: kind = .tls
        case CURLE_SSL_CONNECT_ERROR: kind = .tlsHandshake
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        // A connection lost mid-exchange; SEND_FAIL_REWIND is one lost after a body that cannot
        // be rewound went out (libcurl's resend on a new connection needs it from the start).
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
             CURLE_SEND_FAIL_REWIND: kind = .reset
        case CURLE_ABORTED_BY_CALLBACK, CURLE_READ_ERROR, CURLE_WRITE_ERROR: kind = .aborted
        default: kind = .other
        }
        let message = String(cString: curl_easy_strerror(code))
        return TransportError(kind: kind, code: Int32(code.rawValue), message: message, url: url, underlying: underlying)
    }
}
