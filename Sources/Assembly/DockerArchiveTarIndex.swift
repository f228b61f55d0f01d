import Foundation

/// Where each file of a tar archive lies (offset and size of its body), from one pass over the
/// headers: bodies are skipped, never read, so a multi-GB `docker save` archive is indexed in
/// milliseconds and its blobs are later streamed as slices of the file. Reads ustar, PAX
/// (`path`, `linkpath`, `size` records) and GNU (`L`/`K` long names, base-256 sizes) headers.
struct TarIndex {
    struct Entry {
        var name: String
        var type: UInt8
        var linkName: String
        var offset: Int64
        var size: Int64
        var isRegularFile: Bool { type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7") }
    }

    struct FormatError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    let path: String
    private(set) var entries: [String: Entry] = [:]
    private(set) var names: [String] = []

    /// - Parameter what: how errors name the archive (`docker-archive:FILE`).
    init(path: String, what: String) throws {
        self.path = path
        let file = try PositionalFile(path: path)
        let fileSize = file.size
        var offset: Int64 = 0
        var pendingName: String?, pendingLink: String?, pendingSize: Int64?
        var headers = 0
        while offset + Int64(TarHeader.blockSize) <= fileSize {
            let block = try file.read(at: offset, count: TarHeader.blockSize)
            if block.allSatisfy({ $0 == 0 }) { break }  // end-of-archive marker
            guard Self.checksumMatches(block) else {
                throw FormatError(message: headers == 0 ? "\(what): not a tar archive"
                                                        : "\(what): corrupt tar header at byte \(offset)")
            }
            headers += 1
            let type = block[156]
            var size = try Self.number(block[124..<136], what: what, offset: offset)
            if let override = pendingSize, type != UInt8(ascii: "x"), type != UInt8(ascii: "L"), type != UInt8(ascii: "K") { size = override }
            let dataOffset = offset + Int64(TarHeader.blockSize)
            guard size >= 0, size <= fileSize - dataOffset else {  // no `dataOffset + size`: a PAX size can be Int64.max
                throw FormatError(message: "\(what): truncated tar archive (an entry at byte \(offset) runs past the end)")
            }
            let next = dataOffset + size + Int64(TarHeader.padding(after: size))
            switch type {
            case UInt8(ascii: "x"):  // PAX extended header for the next entry
                guard size <= 1 << 20 else { throw FormatError(message: "\(what): PAX header of \(size) bytes at byte \(offset)") }
                let records = Self.paxRecords(try file.read(at: dataOffset, count: Int(size)))
                pendingName = records["path"] ?? pendingName
                pendingLink = records["linkpath"] ?? pendingLink
                if let text = records["size"] { pendingSize = Int64(text) }
            case UInt8(ascii: "g"):  // PAX global header: nothing we use
                break
            case UInt8(ascii: "L"), UInt8(ascii: "K"):  // GNU long name / long link name
                guard size <= 1 << 20 else { throw FormatError(message: "\(what): GNU long name of \(size) bytes at byte \(offset)") }
                let text = Self.string(try file.read(at: dataOffset, count: Int(size))[...])
                if type == UInt8(ascii: "L") { pendingName = text } else { pendingLink = text }
            default:
                var name = Self.string(block[0..<100])
                // POSIX ustar splits long names into prefix + name; GNU's "ustar  " uses that area otherwise.
                if block[257..<263].elementsEqual(Array("ustar\u{0}".utf8)) {
                    let prefix = Self.string(block[345..<500])
                    if !prefix.isEmpty { name = prefix + "/" + name }
                }
                let entry = Entry(name: Self.normalize(pendingName ?? name), type: type,
                                  linkName: pendingLink ?? Self.string(block[157..<257]), offset: dataOffset, size: size)
                if entries[entry.name] == nil { names.append(entry.name) }
                entries[entry.name] = entry  // a later entry of the same name wins, as extraction would
                pendingName = nil; pendingLink = nil; pendingSize = nil
            }
            offset = next
        }
        if headers == 0 { throw FormatError(message: "\(what): not a tar archive (no entries)") }
    }

    /// The regular file `name` leads to, following symbolic and hard links inside the archive
    /// (`docker save` links shared layers: `<id>/layer.tar -> ../<other>/layer.tar`).
    func resolve(_ name: String) -> Entry? {
        var current = Self.normalize(name)
        for _ in 0..<32 {
            guard let entry = entries[current] else { return nil }
            if entry.isRegularFile { return entry }
            switch entry.type {
            case UInt8(ascii: "1"): current = Self.normalize(entry.linkName)
            case UInt8(ascii: "2"):
                let parent = current.split(separator: "/").dropLast().joined(separator: "/")
                current = Self.normalize(entry.linkName.hasPrefix("/") ? entry.linkName : parent + "/" + entry.linkName)
            default: return nil
            }
        }
        return nil
    }

    /// "./a//b/../c/" → "a/c": archive-relative, lexically cleaned (`..` stops at the root).
    static func normalize(_ name: String) -> String {
        var parts: [Substring] = []
        for part in name.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return parts.joined(separator: "/")
    }

    static func checksumMatches(_ block: [UInt8]) -> Bool {
        guard let stored = try? number(block[148..<156], what: "", offset: 0) else { return false }
        var unsigned: Int64 = 0, signed: Int64 = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? 0x20 : byte
            unsigned += Int64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        return stored == unsigned || stored == signed  // some old tars summed signed bytes
    }

    /// An octal field (space/NUL padded) or a GNU base-256 one (top bit of the first byte set).
    static func number(_ field: ArraySlice<UInt8>, what: String, offset: Int64) throws -> Int64 {
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            guard first == 0x80 else { throw FormatError(message: "\(what): negative size in the tar header at byte \(offset)") }
            var value: Int64 = 0
            for byte in field.dropFirst() {
                guard value < Int64.max >> 8 else { throw FormatError(message: "\(what): size overflow in the tar header at byte \(offset)") }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var seenDigit = false
        for byte in field {
            if byte == 0x20 || byte == 0 { if seenDigit { break } else { continue } }
            guard byte >= 0x30, byte <= 0x37 else { throw FormatError(message: "\(what): corrupt tar header at byte \(offset)") }
            value = value * 8 + Int64(byte - 0x30)
            seenDigit = true
        }
        return value
    }

    /// `LEN key=value\n` records.
    static func paxRecords(_ bytes: [UInt8]) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < bytes.count {
            guard let space = bytes[index...].firstIndex(of: 0x20),
                  let length = Int(String(decoding: bytes[index..<space], as: UTF8.self)), length > 0,
                  length <= bytes.count - index, space < index + length else { break }
            let record = bytes[(space + 1)..<(index + length)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
                var value = record[(equals + 1)...]
                if value.last == 0x0a { value = value.dropLast() }
                records[key] = String(decoding: value, as: UTF8.self)
            }
            index += length
        }
        return records
    }

    static func string(_ field: ArraySlice<UInt8>) -> String {
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[field.startIndex..<end], as: UTF8.self)
    }
}

/// A read-only file read at explicit offsets (pread), for header scans and format sniffing.
final class PositionalFile {
    let path: String
    let size: Int64
    private let descriptor: Int32

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TarIndex.FormatError(message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw TarIndex.FormatError(message: "cannot read \(path): not a regular file")
        }
        descriptor = fd
        size = Int64(info.st_size)
        self.path = path
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes at `offset` (fewer only at the end of the file).
    func read(at offset: Int64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(descriptor, base + done, count - done, off_t(offset + Int64(done)))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw TarIndex.FormatError(message: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return Array(bytes[0..<done])
    }
}
