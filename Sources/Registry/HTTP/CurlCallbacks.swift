import CCurl
import Foundation
import Streams

/// State shared with libcurl's C callbacks for one transfer.
final class TransferContext {
    let body: ByteSource?
    let sink: ByteSink?
    var status = 0
    var headers: [String: [String]] = [:]
    var errorBody: [UInt8] = []
    var failure: Error?
    var bodyStarted = false
    let interruptible: Bool
    let cancelled: CancellationFlag?
    let timeouts: TransferTimeouts
    let deadline: Deadline?
    /// Set by the progress callback when it aborts the transfer on a clock.
    var timedOut: TimeoutCause?
    var responseStarted = false
    var lastActivity = DispatchTime.now().uptimeNanoseconds
    var lastDown: curl_off_t = 0
    var lastUp: curl_off_t = 0

    init(body: ByteSource?, sink: ByteSink?, interruptible: Bool, cancelled: CancellationFlag?,
         timeouts: TransferTimeouts, deadline: Deadline?) {
        self.body = body
        self.sink = sink
        self.interruptible = interruptible
        self.cancelled = cancelled
        self.timeouts = timeouts
        self.deadline = deadline
    }

    /// Whether the transfer has waited too long for its next byte (called at least once a
    /// second): the first byte of the answer once the request is out, or any byte mid-way.
    func clockExpired(downloaded: curl_off_t, uploaded: curl_off_t, uploadTotal: curl_off_t) -> TimeoutCause? {
        let now = DispatchTime.now().uptimeNanoseconds
        if downloaded != lastDown || uploaded != lastUp {
            (lastDown, lastUp, lastActivity) = (downloaded, uploaded, now)
        }
        if deadline?.hasPassed == true { return .deadline }
        let idle = Double(now &- lastActivity) / 1_000_000_000
        let sending = body != nil && !(uploadTotal > 0 && uploaded >= uploadTotal)
        if !responseStarted && !sending { return idle > timeouts.firstByte ? .firstByte(timeouts.firstByte) : nil }
        return idle > timeouts.stall ? .stall(timeouts.stall) : nil
    }

    static let errorBodyLimit = 64 * 1024
}

let headerCallback: ccurl_data_callback = { pointer, size, count, userdata in
    let length = size * count
    guard let pointer, let userdata else { return length }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    context.responseStarted = true
    context.lastActivity = DispatchTime.now().uptimeNanoseconds
    if line.hasPrefix("HTTP/") {
        // A new response (after 100 Continue, say): start its headers afresh.
        context.headers = [:]
        let parts = line.split(separator: " ", maxSplits: 2)
        context.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        context.headers[name, default: []].append(value)
    }
    return length
}

let writeCallback: ccurl_data_callback = { pointer, size, count, userdata in
    let length = size * count
    guard let pointer, let userdata else { return length }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
    if context.status >= 300 || context.status < 200 {
        let room = TransferContext.errorBodyLimit - context.errorBody.count
        if room > 0 { context.errorBody.append(contentsOf: bytes.prefix(room)) }
        return length
    }
    do {
        if !context.bodyStarted {
            context.bodyStarted = true
            (context.sink as? ResponseAwareSink)?.responseStarted(status: context.status)
        }
        try context.sink?.write(bytes)
        return length
    } catch {
        context.failure = error
        return ccurl_writefunc_error()
    }
}

let progressCallback: ccurl_xferinfo_callback = { userdata, _, downloaded, uploadTotal, uploaded in
    guard let userdata else { return 0 }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    if (context.interruptible && Interruption.isRequested) || context.cancelled?.isSet == true { return 1 }
    if let cause = context.clockExpired(downloaded: downloaded, uploaded: uploaded, uploadTotal: uploadTotal) {
        context.timedOut = cause
        return 1
    }
    return 0
}

let readCallback: ccurl_data_callback = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return ccurl_readfunc_abort() }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    guard let body = context.body else { return 0 }
    do {
        return try body.read(into: UnsafeMutableRawBufferPointer(start: pointer, count: size * count))
    } catch {
        context.failure = error
        return ccurl_readfunc_abort()
    }
}

/// libcurl asks for offset 0 when it resends a body on a new connection; other offsets (resumed
/// uploads, which samforge never asks for) cannot be served.
let seekCallback: ccurl_seek_callback = { userdata, offset, origin in
    guard let userdata, offset == 0, origin == SEEK_SET else { return ccurl_seekfunc_cantseek() }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    guard let body = context.body as? RewindableSource else { return ccurl_seekfunc_cantseek() }
    do {
        try body.rewind()
        return ccurl_seekfunc_ok()
    } catch {
        context.failure = error
        return ccurl_seekfunc_cantseek()
    }
}
