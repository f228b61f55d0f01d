/// The path rules of layers, for code outside this module that keys entries by path.
public enum LayerPaths {
    /// `/opt/x/`, `opt//x`, `./opt/x` → `opt/x`; `..` and NUL are refused.
    public static func normalize(_ path: String) throws -> String { try LayerPath.normalize(path) }

    /// Tar order: bytewise on UTF-8.
    public static func precedes(_ a: String, _ b: String) -> Bool { LayerPath.precedes(a, b) }
}
