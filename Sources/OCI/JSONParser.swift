import Foundation

extension JSONValue {
    /// Parses a whole document in one linear pass. Decoding a `JSONValue` through `Decodable`
    /// instead probes every value's type with failing attempts, each costing time that grows with
    /// its depth: a hostile few-KiB manifest of nested arrays took seconds, a 4 MiB one hours.
    /// Accepts what JSONDecoder accepts from UTF-8 (a leading BOM, trailing commas), keeps the
    /// first of duplicate keys as it does, and gives numbers the same cases: `.int` when
    /// JSONDecoder reads the number as an Int64, else a finite `.double`. Nesting stops at 256
    /// levels, not JSONDecoder's 512: JSONEncoder refuses to write 512 back (with the whole value
    /// in its error), and no image document comes close.
    public init(parsing bytes: some Sequence<UInt8>) throws {
        var parser = JSONParser(bytes: Array(bytes))
        self = try parser.document()
    }
}

private struct JSONParser {
    static let maximumDepth = 256
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xef, 0xbb, 0xbf]) { index = 3 }
    }

    mutating func document() throws -> JSONValue {
        let value = try self.value()
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected character after the document") }
        return value
    }

    private func error(_ message: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(message) at byte \(index)"))
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09 { index += 1 }
    }

    private mutating func value() throws -> JSONValue {
        skipWhitespace()
        guard let byte = current else { throw error("unexpected end of data") }
        switch byte {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes[index...].starts(with: expected) else { throw error("invalid literal") }
        index += expected.count
    }

    private mutating func enter() throws {
        guard depth < Self.maximumDepth else { throw error("more than \(Self.maximumDepth) nested arrays or objects") }
        depth += 1
        index += 1
    }

    private mutating func array() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            items.append(try value())
            skipWhitespace()
            switch current {
            case UInt8(ascii: "]"): index += 1; return .array(items)
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if current == UInt8(ascii: "]") { index += 1; return .array(items) }  // JSONDecoder allows a trailing comma
            default: throw error(current == nil ? "unexpected end of data" : "expected ',' or ']'")
            }
        }
    }

    private mutating func object() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error(current == nil ? "unexpected end of data" : "expected a key") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            let value = try value()
            if members[key] == nil { members[key] = value }  // the first of duplicate keys wins, as in JSONDecoder
            skipWhitespace()
            switch current {
            case UInt8(ascii: "}"): index += 1; return .object(members)
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if current == UInt8(ascii: "}") { index += 1; return .object(members) }
            default: throw error(current == nil ? "unexpected end of data" : "expected ',' or '}'")
            }
        }
    }

    private mutating func string() throws -> String {
        index += 1  // the opening quote
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else { throw error("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = current else { throw error("unterminated string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0c)
                case UInt8(ascii: "n"): utf8.append(0x0a)
                case UInt8(ascii: "r"): utf8.append(0x0d)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8.append(contentsOf: try unicodeEscape())
                default: throw error("invalid escape sequence")
                }
            case 0..<0x20:
                throw error("unescaped control character in a string")
            default:
                utf8.append(byte)
            }
        }
    }

    /// `\uXXXX` (the `\u` consumed), with a surrogate pair read as one scalar; a lone surrogate
    /// is an error, as in JSONDecoder.
    private mutating func unicodeEscape() throws -> [UInt8] {
        let first = try hex4()
        var scalar: Unicode.Scalar?
        if (0xd800..<0xdc00).contains(first) {
            guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else { throw error("lone surrogate in a \\u escape") }
            index += 2
            let second = try hex4()
            guard (0xdc00..<0xe000).contains(second) else { throw error("lone surrogate in a \\u escape") }
            scalar = Unicode.Scalar(0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00))
        } else {
            scalar = Unicode.Scalar(first)  // nil for a lone low surrogate
        }
        guard let scalar else { throw error("lone surrogate in a \\u escape") }
        return Array(String(Character(scalar)).utf8)
    }

    private mutating func hex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { throw error("invalid \\u escape") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, then JSONDecoder's reading of it: an
    /// integer, or one with a fraction of only zeros, is an Int64 if it fits exactly, else a
    /// Double; otherwise the Double decides (an integral one that fits is an Int64).
    private mutating func number() throws -> JSONValue {
        let start = index
        func digits() -> Int {
            let from = index
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            return index - from
        }
        if current == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits()
        guard integerDigits > 0 else { throw error("invalid number") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw error("leading zero in a number") }
        let integerEnd = index
        var fractionIsZero = true
        var hasFraction = false, hasExponent = false
        if current == UInt8(ascii: ".") {
            index += 1
            hasFraction = true
            let fractionStart = index
            guard digits() > 0 else { throw error("invalid number") }
            fractionIsZero = bytes[fractionStart..<index].allSatisfy { $0 == UInt8(ascii: "0") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            hasExponent = true
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw error("invalid number") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        let integerSyntax = !hasExponent && (!hasFraction || fractionIsZero)
        if integerSyntax, let integer = Int64(String(decoding: bytes[start..<integerEnd], as: UTF8.self)) {
            return .int(integer)
        }
        guard let double = Double(text), double.isFinite else { throw error("number \(text) is not representable") }
        if !integerSyntax, let integer = Int64(exactly: double) { return .int(integer) }
        return .double(double)
    }
}
