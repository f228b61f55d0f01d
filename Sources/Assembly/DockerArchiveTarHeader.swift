/// A ustar header for a regular file of known size, as `docker save` archives need: blob
/// names are short ASCII, so no PAX records; sizes of 8 GiB and more use the base-256 size
/// field that GNU tar, Go's archive/tar and libarchive read. Owner 0:0, mtime 0, mode 0644,
/// so the same image always gives the same archive.
enum TarHeader {
    static let blockSize = 512

    static func regularFile(name: String, size: Int64, mode: Int = 0o644) throws -> [UInt8] {
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 100, nameBytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else {
            throw AssemblyError.unsupported("tar entry name \"\(name)\" does not fit a ustar header")
        }
        var header = [UInt8](repeating: 0, count: blockSize)
        put(nameBytes, at: 0, in: &header)
        put(octal(Int64(mode), width: 8), at: 100, in: &header)
        put(octal(0, width: 8), at: 108, in: &header)   // uid
        put(octal(0, width: 8), at: 116, in: &header)   // gid
        put(sizeField(size), at: 124, in: &header)
        put(octal(0, width: 12), at: 136, in: &header)  // mtime
        header[156] = UInt8(ascii: "0")
        put(Array("ustar\u{0}00".utf8), at: 257, in: &header)
        // The checksum is computed with its own field as eight spaces.
        put([UInt8](repeating: 0x20, count: 8), at: 148, in: &header)
        let sum = header.reduce(0) { $0 + Int64($1) }
        put(Array(String(sum, radix: 8).leftPadded(to: 6).utf8) + [0, 0x20], at: 148, in: &header)
        return header
    }

    /// Zero bytes after a body so the next header starts on a block boundary.
    static func padding(after size: Int64) -> Int {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    /// Two zero blocks end an archive.
    static let trailer = [UInt8](repeating: 0, count: 2 * blockSize)

    /// `width - 1` octal digits and a NUL.
    static func octal(_ value: Int64, width: Int) -> [UInt8] {
        Array(String(value, radix: 8).leftPadded(to: width - 1).utf8) + [0]
    }

    /// Octal when it fits 11 digits, else base-256: the top bit of the first byte set, then the
    /// value big-endian in the remaining bytes.
    static func sizeField(_ size: Int64) -> [UInt8] {
        if size < 0o77777777777 { return octal(size, width: 12) }
        var field = [UInt8](repeating: 0, count: 12)
        var value = UInt64(size)
        for index in stride(from: 11, through: 1, by: -1) {
            field[index] = UInt8(value & 0xff)
            value >>= 8
        }
        field[0] = 0x80
        return field
    }

    private static func put(_ bytes: [UInt8], at offset: Int, in header: inout [UInt8]) {
        header.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
