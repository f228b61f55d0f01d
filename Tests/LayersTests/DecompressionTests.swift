import Foundation
import OCI
import Streams
import Testing
@testable import Layers

/// What the layer reader accepts as a compressed layer, checked against python's gzip and
/// zstd(1) as independent judges: damaged trailers (CRC-32, ISIZE), streams cut short and data
/// after the last member are refused; several members are one stream; the uncompressed bytes
/// must match the diff_id the caller expects.
@Suite struct DecompressionTests {
    static let tarBytes: [UInt8] = {
        var writer = LayerWriter(mtime: 1_700_000_000)
        try? writer.add(.bytes("/etc/hosts", Array("127.0.0.1 localhost\n".utf8)))
        try? writer.add(.bytes("/opt/data.bin", (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 5) }))
        let gzip = CollectingSink(limit: 1 << 22)
        _ = try? writer.write(to: gzip)
        let tar = CollectingSink(limit: 1 << 22)
        _ = try? GunzipSource(MemorySource(gzip.bytes)).pump(to: tar)
        return tar.bytes
    }()
    static var diffID: Digest { Digest.of(tarBytes) }

    /// A python expression over `tar` (the bytes above) and the gzip module, run to make a blob.
    static func blob(_ expression: String) throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        let tarPath = directory.path + "/layer.tar", out = directory.path + "/blob"
        try Data(tarBytes).write(to: URL(fileURLWithPath: tarPath))
        try Tool.python("""
            import gzip, sys
            tar = open(sys.argv[1], "rb").read()
            gz = gzip.compress(tar, mtime=0)
            def flip(data, at): data = bytearray(data); data[at] ^= 1; return bytes(data)
            open(sys.argv[2], "wb").write(\(expression))
            """, [tarPath, out])
        return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    /// Whether python's gzip.decompress accepts the blob and gives back the tar.
    static func pythonAccepts(_ blob: [UInt8]) throws -> Bool {
        let directory = try TemporaryDirectory()
        try Data(blob).write(to: URL(fileURLWithPath: directory.path + "/blob"))
        let verdict = try Tool.python("""
            import gzip, hashlib, sys
            try: print(hashlib.sha256(gzip.decompress(open(sys.argv[1], "rb").read())).hexdigest())
            except Exception as e: print("refused")
            """, [directory.path + "/blob"])
        return verdict.trimmingCharacters(in: .whitespacesAndNewlines) == diffID.hex
    }

    /// Reads every entry; the diff_id is expected when given.
    static func read(_ blob: [UInt8], expecting diffID: Digest? = nil) throws -> (entries: [String], diffID: Digest?) {
        let reader = try LayerReader(source: MemorySource(blob), bufferSize: 4096, expectedDiffID: diffID)
        var names: [String] = []
        while let entry = try reader.next() {
            names.append(entry.path)
            try reader.readData(into: DiscardingSink())
        }
        return (names, reader.diffID)
    }

    static let names = ["etc", "etc/hosts", "opt", "opt/data.bin"]

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String, expression: String, error: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "one member", expression: "gz", error: nil),
        .init(name: "two members", expression: "gzip.compress(tar[:3000], mtime=0) + gzip.compress(tar[3000:], mtime=0)", error: nil),
        .init(name: "an empty member after the data", expression: "gz + gzip.compress(b'', mtime=0)", error: nil),
        .init(name: "header with name, comment and header CRC",
              expression: "bytes([0x1f, 0x8b, 8, 0x1a, 0, 0, 0, 0, 0, 255]) + b'layer.tar\\0note\\0' + (__import__('zlib').crc32(bytes([0x1f, 0x8b, 8, 0x1a, 0, 0, 0, 0, 0, 255]) + b'layer.tar\\0note\\0') & 0xffff).to_bytes(2, 'little') + gz[10:]",
              error: nil),
        .init(name: "bad CRC-32", expression: "flip(gz, len(gz) - 8)", error: "the gzip CRC-32 does not match the data"),
        .init(name: "bad ISIZE", expression: "flip(gz, len(gz) - 1)", error: "the gzip length (ISIZE) does not match the data"),
        .init(name: "bad CRC-32 in the second member", expression: "gzip.compress(tar[:3000], mtime=0) + flip(gzip.compress(tar[3000:], mtime=0), -6)",
              error: "the gzip CRC-32 does not match the data"),
        .init(name: "trailing garbage", expression: "gz + b'garbage after the layer'",
              error: "trailing data after the gzip stream (not a gzip member, after member 1)"),
        .init(name: "one trailing byte", expression: "gz + b'x'", error: "trailing data after the gzip stream (1 byte after member 1)"),
        .init(name: "trailer cut off", expression: "gz[:-8]", error: "unexpected end of the gzip stream (member 1 is cut short)"),
        .init(name: "cut in the middle", expression: "gz[:len(gz) // 2]", error: "unexpected end of the gzip stream (member 1 is cut short)"),
        .init(name: "a second member cut short", expression: "gz + gz[:20]", error: "unexpected end of the gzip stream (member 2 is cut short)"),
    ]

    @Test(arguments: cases)
    func gzipStreamsAreVerified(_ c: Case) throws {
        let blob = try Self.blob(c.expression)
        let python = try Self.pythonAccepts(blob)
        if let message = c.error {
            let error = #expect(throws: LayerError.self) { try Self.read(blob) }
            #expect(error == .decompression(message))
            #expect(!python, "python's gzip accepts what we refuse")
        } else {
            let result = try Self.read(blob, expecting: Self.diffID)
            #expect(result.entries == Self.names)
            #expect(result.diffID == Self.diffID)
            #expect(python, "python's gzip refuses what we accept")
        }
    }

    /// Zero padding after the last member: GNU gzip warns, python skips it, Go (Docker,
    /// containerd) refuses it; so do we (it is not part of any gzip member).
    @Test func zeroPaddingIsRefused() throws {
        let blob = try Self.blob("gz + bytes(512)")
        #expect(throws: LayerError.decompression("trailing data after the gzip stream (not a gzip member, after member 1)")) { try Self.read(blob) }
    }

    @Test func wrongDiffIDIsRefusedAtTheEnd() throws {
        let blob = try Self.blob("gz")
        let wrong = Digest.of(Array("another layer".utf8))
        let error = #expect(throws: LayerError.self) { try Self.read(blob, expecting: wrong) }
        #expect(error == .diffIDMismatch(expected: wrong, actual: Self.diffID))
        #expect(error?.description == "the uncompressed layer does not match the config's diff_id (expected \(wrong), got \(Self.diffID))")
        // A plain tar's diff_id is the blob's own digest.
        #expect(try Self.read(Self.tarBytes, expecting: Self.diffID).diffID == Self.diffID)
        #expect(throws: LayerError.diffIDMismatch(expected: wrong, actual: Self.diffID)) { try Self.read(Self.tarBytes, expecting: wrong) }
        // Bytes after the tar's end blocks are part of the diff_id, as Docker hashes them.
        let padded = Self.tarBytes + [UInt8](repeating: 0, count: 4096)
        #expect(try Self.read(padded).diffID == Digest.of(padded))
    }

    /// A reader that stops early has not seen the rest: nothing is claimed, nothing thrown.
    @Test func stoppingEarlyClaimsNothing() throws {
        let reader = try LayerReader(source: MemorySource(try Self.blob("flip(gz, len(gz) - 8)")), bufferSize: 4096,
                                     expectedDiffID: Digest.of([1]))
        #expect(try reader.next()?.path == "etc")
        #expect(reader.diffID == nil)
    }

    /// zstd(1) makes the blobs; its frames carry checksums, which libzstd verifies.
    @Test(arguments: [("", nil as String?), ("garbage", "zstd"), ("cut", "zstd"), ("flip", "zstd")])
    func zstdStreamsAreVerified(damage: String, error: String?) throws {
        let directory = try TemporaryDirectory()
        let tarPath = directory.path + "/layer.tar"
        try Data(Self.tarBytes).write(to: URL(fileURLWithPath: tarPath))
        try Tool.shell("zstd -q --check -o \"$1.zst\" \"$1\"", arguments: [tarPath])
        var blob = Array(try Data(contentsOf: URL(fileURLWithPath: tarPath + ".zst")))
        switch damage {
        case "garbage": blob += Array("garbage after the frame".utf8)
        case "cut": blob.removeLast(blob.count / 3)
        case "flip": blob[blob.count - 2] ^= 1  // the frame checksum
        default: break
        }
        if error != nil {
            #expect(throws: (any Error).self) { try Self.read(blob, expecting: Self.diffID) }
        } else {
            let result = try Self.read(blob, expecting: Self.diffID)
            #expect(result.entries == Self.names && result.diffID == Self.diffID)
        }
    }
}
