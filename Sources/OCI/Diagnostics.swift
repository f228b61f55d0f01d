/// Renders user input inside a one-line error message: control characters (newlines, tabs,
/// escape sequences) are shown escaped so the message stays on one line and cannot inject
/// terminal control codes; everything else is kept verbatim.
public func escapedForMessage<S: StringProtocol>(_ input: S) -> String {
    var out = ""
    out.reserveCapacity(input.utf8.count)
    for scalar in input.unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            let value = scalar.value
            if value < 0x20 || value == 0x7f || (0x80...0x9f).contains(value) || value == 0x2028 || value == 0x2029 {
                out += "\\u{" + String(value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}
