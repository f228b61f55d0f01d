extension LayerWriter {
    /// The mtime for every entry: SOURCE_DATE_EPOCH (reproducible-builds.org) if set, else 0.
    /// An unset or empty variable means 0; anything but a non-negative integer is an error,
    /// as the spec asks, rather than a silently different image.
    public static func mtime(fromEnvironment environment: [String: String]) throws -> Int64 {
        guard let value = environment["SOURCE_DATE_EPOCH"], !value.isEmpty else { return 0 }
        guard value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let seconds = Int64(value) else {
            throw LayerError.invalidSourceDateEpoch(value)
        }
        return seconds
    }
}
