import Foundation

/// PEM armor (RFC 7468), as Go's encoding/pem reads and writes it: `-----BEGIN TYPE-----`, the
/// base64 body in lines of 64, `-----END TYPE-----`. Headers (`Proc-Type: …`) are skipped.
public struct PEMBlock: Sendable {
    public let type: String
    public let bytes: [UInt8]

    public init(type: String, bytes: [UInt8]) {
        self.type = type
        self.bytes = bytes
    }

    /// The first block in `text`, or nil when there is none.
    public init?(parsing text: [UInt8]) {
        let string = String(decoding: text, as: UTF8.self)
        guard let begin = string.range(of: "-----BEGIN "),
              let beginEnd = string.range(of: "-----", range: begin.upperBound..<string.endIndex) else { return nil }
        let type = String(string[begin.upperBound..<beginEnd.lowerBound])
        guard let end = string.range(of: "-----END \(type)-----", range: beginEnd.upperBound..<string.endIndex) else { return nil }
        var body = ""
        for line in string[beginEnd.upperBound..<end.lowerBound].split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.contains(":") { continue }  // an RFC 1421 header
            body += trimmed
        }
        guard let data = Data(base64Encoded: body) else { return nil }
        self.type = type
        self.bytes = Array(data)
    }

    /// The armored text, ending with a newline.
    public var encoded: [UInt8] {
        let base64 = Data(bytes).base64EncodedString()
        var text = "-----BEGIN \(type)-----\n"
        var index = base64.startIndex
        while index < base64.endIndex {
            let next = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            text += base64[index..<next] + "\n"
            index = next
        }
        text += "-----END \(type)-----\n"
        return Array(text.utf8)
    }
}
