/// JSON written as Go's encoding/json (and protojson, for the fields cosign's bundles use)
/// writes it: members in the order given, no spaces, `<`, `>`, `&`, U+2028 and U+2029 escaped.
/// cosign's payloads and manifests come out byte for byte as cosign writes them. Each value
/// is its encoded bytes, built from the inside out.
struct GoJSON {
    let bytes: [UInt8]

    static let null = GoJSON(bytes: Array("null".utf8))
    static func bool(_ value: Bool) -> GoJSON { GoJSON(bytes: Array((value ? "true" : "false").utf8)) }
    static func int(_ value: Int64) -> GoJSON { GoJSON(bytes: Array(String(value).utf8)) }
    static func string(_ value: String) -> GoJSON { GoJSON(bytes: quoted(value)) }

    static func array(_ items: [GoJSON]) -> GoJSON {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (offset, item) in items.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ",")) }
            out += item.bytes
        }
        out.append(UInt8(ascii: "]"))
        return GoJSON(bytes: out)
    }

    static func object(_ members: [(String, GoJSON)]) -> GoJSON {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (offset, (key, value)) in members.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ",")) }
            out += quoted(key)
            out.append(UInt8(ascii: ":"))
            out += value.bytes
        }
        out.append(UInt8(ascii: "}"))
        return GoJSON(bytes: out)
    }

    static func encode(_ value: GoJSON) -> [UInt8] { value.bytes }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func quoted(_ string: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += [0x5c, 0x22]
            case "\\": out += [0x5c, 0x5c]
            case "\n": out += [0x5c, UInt8(ascii: "n")]
            case "\r": out += [0x5c, UInt8(ascii: "r")]
            case "\t": out += [0x5c, UInt8(ascii: "t")]
            case "\u{8}": out += [0x5c, UInt8(ascii: "b")]
            case "\u{c}": out += [0x5c, UInt8(ascii: "f")]
            case "<", ">", "&", "\u{2028}", "\u{2029}": escape(scalar.value, into: &out)
            default:
                if scalar.value < 0x20 { escape(scalar.value, into: &out) } else { out += Array(String(scalar).utf8) }
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    private static func escape(_ value: UInt32, into out: inout [UInt8]) {
        out += [0x5c, UInt8(ascii: "u")]
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hex[Int((value >> UInt32(shift)) & 0xf)]) }
    }
}
