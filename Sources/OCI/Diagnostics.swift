/// Renders untrusted text (user input, and what images and registries say) for a terminal: in
/// a one-line error message and in every human view. Control characters (newlines, tabs, ESC
/// sequences, the rest of C0 and C1, DEL), the Unicode line and paragraph separators and the
/// bidirectional overrides, embeddings, isolates and marks (which reorder what a terminal shows:
/// "Trojan Source") are shown escaped, so the text stays on its line and cannot inject terminal
/// control codes or disguise itself; everything else is kept verbatim.
public func escapedForMessage<S: StringProtocol>(_ input: S) -> String {
    // Nearly all text has nothing to escape: a byte scan (every escaped scalar is a C0 or DEL
    // byte, or starts with 0xC2 (C1), 0xD8 (U+061C) or 0xE2 (U+2028 and the bidi controls))
    // spares the scalar loop, which listing a large image's names would feel.
    var text = String(input)
    let plain = text.withUTF8 { bytes in !bytes.contains { $0 < 0x20 || $0 == 0x7f || $0 == 0xC2 || $0 == 0xD8 || $0 == 0xE2 } }
    if plain { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            let value = scalar.value
            if value < 0x20 || value == 0x7f || (0x80...0x9f).contains(value) || value == 0x2028 || value == 0x2029
                || bidiControls.contains(value) {
                out += "\\u{" + String(value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

/// U+061C ARABIC LETTER MARK, U+200E/F LEFT-TO-RIGHT / RIGHT-TO-LEFT MARK, U+202A-E embeddings
/// and overrides, U+2066-9 isolates.
private let bidiControls: Set<UInt32> = [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069]

/// Typographic punctuation as its ASCII form (quotes, dashes, the ellipsis), so samforge's
/// own lines stay plain ASCII whatever text they carry; any other character is kept.
public func plainPunctuation(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { typographic[$0.value] != nil }) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
        if let ascii = typographic[scalar.value] { out += ascii } else { out.unicodeScalars.append(scalar) }
    }
    return out
}

private let typographic: [UInt32: String] = [0x2018: "'", 0x2019: "'", 0x201C: "\"", 0x201D: "\"", 0x2013: "-", 0x2014: "-", 0x2026: "..."]

/// Text that is plain ASCII (Foundation's sentences): typographic punctuation as its ASCII
/// form, anything else outside ASCII as `\u{...}`.
public func escapedASCII(_ text: String) -> String {
    var out = ""
    for scalar in plainPunctuation(text).unicodeScalars {
        if (0x20..<0x7F).contains(scalar.value) { out.unicodeScalars.append(scalar) } else { out += "\\u{\(String(scalar.value, radix: 16))}" }
    }
    return out
}
