import Foundation

/// Decodes JSON that came from outside (a registry, a layout, an archive, a config file).
/// Foundation's JSONDecoder traps instead of throwing when a `[` opening nesting level 513
/// (one past its limit) is the document's last byte: it computes the error's position one
/// byte past the buffer. A trailing space, which JSON ignores, keeps that position inside.
public enum UntrustedJSON {
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Sequence<UInt8>) throws -> T {
        // A JSONValue gets the linear parser: through Decodable its cost grows with depth.
        if T.self == JSONValue.self, let value = try JSONValue(parsing: bytes) as? T { return value }
        var data = Data(bytes)
        data.append(0x20)
        return try JSONDecoder().decode(type, from: data)
    }
}
