/// Names as a tar stores them: bytes, almost always UTF-8. A name that is not UTF-8 must not be
/// decoded with replacement characters (`x\xff` and `x\xfe` would both become `x\u{FFFD}` and
/// one would overwrite the other): its bytes are kept (`LayerEntry.pathBytes`) for everything
/// that identifies a path, and its text shows each stray byte as `\xNN` (and a backslash as
/// `\\`, so the text of two such names never coincides).
enum LayerName {
    /// The name as text, and whether it was valid UTF-8 (then the text is exactly its bytes).
    /// Otherwise stray bytes read `\xNN` and backslashes `\\`.
    static func decode(_ bytes: [UInt8]) -> (text: String, isUTF8: Bool) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, true) }
        var text = ""
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") {
                text += "\\\\"
                index += 1
            } else if let length = sequenceLength(bytes, at: index) {
                text += String(decoding: bytes[index..<index + length], as: UTF8.self)
                index += length
            } else {
                let hex = String(bytes[index], radix: 16)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                index += 1
            }
        }
        return (text, false)
    }

    /// The length of the well-formed UTF-8 sequence at `index` (RFC 3629: no overlong forms,
    /// no surrogates, nothing past U+10FFFF), nil when the byte there starts none.
    static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int? {
        let lead = bytes[index]
        let count: Int, second: ClosedRange<UInt8>
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: (count, second) = (2, 0x80...0xBF)
        case 0xE0: (count, second) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (count, second) = (3, 0x80...0xBF)
        case 0xED: (count, second) = (3, 0x80...0x9F)
        case 0xF0: (count, second) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (count, second) = (4, 0x80...0xBF)
        case 0xF4: (count, second) = (4, 0x80...0x8F)
        default: return nil
        }
        guard index + count <= bytes.count, second.contains(bytes[index + 1]) else { return nil }
        for offset in 2..<count where !(0x80...0xBF).contains(bytes[index + offset]) { return nil }
        return count
    }

    /// `LayerPath.clean` on bytes: empty and "." components dropped, "/"-joined.
    static func clean(_ bytes: [UInt8]) -> [UInt8] {
        let parts = components(bytes).filter { !$0.elementsEqual([UInt8(ascii: ".")]) }
        return Array(parts.joined(separator: [UInt8(ascii: "/")]))
    }

    static func components(_ bytes: some Collection<UInt8>) -> [ArraySlice<UInt8>] {
        Array(bytes).split(separator: UInt8(ascii: "/"))
    }

    /// Parent and last component of a normalized byte path ("" is the root; nil parent for it).
    static func split(_ bytes: [UInt8]) -> (parent: [UInt8], name: [UInt8])? {
        guard !bytes.isEmpty else { return nil }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return ([], bytes) }
        return (Array(bytes[..<slash]), Array(bytes[(slash + 1)...]))
    }
}
