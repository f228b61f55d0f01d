import OCI

/// Writes JSON exactly as `CanonicalJSON` (Foundation's JSONEncoder with sorted keys and
/// unescaped slashes) writes it: no whitespace, keys in UTF-8 byte order, `"`, `\` and control
/// characters escaped (`\n`, `\u001b`), everything else as UTF-8. Straight into bytes: an SBOM
/// of 100,000 files through JSONEncoder held a tree of its own ten times the document's size.
/// A document is written twice, first only counted, so its bytes are allocated once at their
/// exact size (a growing array holds its old and new storage at once). The tests compare both
/// writers byte for byte.
struct CanonicalJSONWriter {
    private var bytes: [UInt8] = []
    /// Bytes written so far (all a counting writer keeps).
    private(set) var count = 0
    private let counting: Bool
    /// A streaming writer hands its bytes on in chunks of about this size.
    private var chunk: Int?
    private var emit: ((UnsafeRawBufferPointer) throws -> Void)?
    /// The first error `emit` threw (later chunks are not written).
    private(set) var failure: Error?

    /// A writer that keeps the bytes; `capacity`: what a counting pass found.
    init(capacity: Int = 0) {
        counting = false
        bytes.reserveCapacity(capacity)
    }

    /// A writer that only counts.
    static func counter() -> CanonicalJSONWriter { CanonicalJSONWriter(counting: true) }
    private init(counting: Bool) { self.counting = counting }

    /// A writer that hands its bytes to `emit` as they come, a chunk at a time.
    init(chunk: Int, emit: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        counting = false
        self.chunk = chunk
        self.emit = emit
        bytes.reserveCapacity(chunk + 4096)
    }

    /// Everything written (a streaming writer: the last chunk handed on, nothing returned).
    mutating func finish() -> [UInt8] {
        guard emit != nil else { return bytes }
        flush()
        return []
    }

    private mutating func flush() {
        guard let emit, !bytes.isEmpty else { return }
        if failure == nil {
            do { try bytes.withUnsafeBytes { try emit($0) } } catch { failure = error }
        }
        bytes.removeAll(keepingCapacity: true)
    }

    /// Writes a document twice, counting then keeping: the bytes at their exact size.
    static func document(_ write: (inout CanonicalJSONWriter) -> Void) -> [UInt8] {
        var counter = CanonicalJSONWriter.counter()
        write(&counter)
        var writer = CanonicalJSONWriter(capacity: counter.count)
        write(&writer)
        return writer.finish()
    }

    mutating func write(_ value: JSONValue) {
        if let chunk, bytes.count >= chunk { flush() }
        switch value {
        case .null: append("null")
        case .bool(let value): append(value ? "true" : "false")
        case .int(let value): append(String(value))
        case .double(let value): append(bytes: (try? CanonicalJSON.encode(value)) ?? Array("null".utf8))
        case .string(let value): write(string: value)
        case .array(let elements): writeArray(elements) { $0.write($1) }
        case .object(let members):
            writeObject(members.map { member in (member.key, { (writer: inout CanonicalJSONWriter) in writer.write(member.value) }) })
        }
    }

    /// An object whose members write themselves (a large array among them streams).
    mutating func writeObject(_ members: [(key: String, write: (inout CanonicalJSONWriter) -> Void)]) {
        append(UInt8(ascii: "{"))
        for (offset, member) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
            if offset > 0 { append(UInt8(ascii: ",")) }
            write(string: member.key)
            append(UInt8(ascii: ":"))
            member.write(&self)
        }
        append(UInt8(ascii: "}"))
    }

    mutating func writeArray<Elements: Sequence>(_ elements: Elements, _ each: (inout CanonicalJSONWriter, Elements.Element) -> Void) {
        append(UInt8(ascii: "["))
        var first = true
        for element in elements {
            if !first { append(UInt8(ascii: ",")) }
            first = false
            each(&self, element)
        }
        append(UInt8(ascii: "]"))
    }

    mutating func write(string: String) {
        append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0..<0x20:
                append("\\u00")
                append(Self.hex[Int(byte >> 4)])
                append(Self.hex[Int(byte & 0x0F)])
            default: append(byte)
            }
        }
        append(UInt8(ascii: "\""))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func append(_ text: String) {
        count += text.utf8.count
        if !counting { bytes += text.utf8 }
    }

    private mutating func append(_ byte: UInt8) {
        count += 1
        if !counting { bytes.append(byte) }
    }

    private mutating func append(bytes more: [UInt8]) {
        count += more.count
        if !counting { bytes += more }
    }
}
