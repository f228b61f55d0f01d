import Foundation
import OCI
import Streams
import Testing
@testable import Layers

@Suite struct LayerReaderTests {
    static let expected: [LayerEntry] = [
        LayerEntry(path: "etc", rawPath: "./etc/", kind: .directory, mode: 0o755, gid: 1, mtime: 1234567890),
        LayerEntry(path: "etc/hosts", rawPath: "./etc/hosts", kind: .file, mode: 0o644, uid: 1000, gid: 1001,
                   size: 20, mtime: 1234567890),
        LayerEntry(path: "etc/hosts.link", rawPath: "./etc/hosts.link", kind: .hardlink, mode: 0o644, uid: 1000, gid: 1001,
                   linkTarget: "etc/hosts", mtime: 1234567890),
        LayerEntry(path: "etc/localtime", rawPath: "./etc/localtime", kind: .symlink, mode: 0o777, uid: 0, gid: 1,
                   linkTarget: "/usr/share/zoneinfo/UTC", mtime: 1234567890),
        LayerEntry(path: "var/.wh..wh..opq", rawPath: "./var/.wh..wh..opq", kind: .file, mode: 0o644, gid: 1,
                   mtime: 1234567890, whiteout: .opaque(directory: "var")),
        LayerEntry(path: "var/.wh.cache", rawPath: "./var/.wh.cache", kind: .file, mode: 0o644, gid: 1,
                   mtime: 1234567890, whiteout: .whiteout(of: "var/cache")),
        LayerEntry(path: PythonTar.longName, kind: .file, mode: 0o600, gid: 1, size: 4, mtime: 1234567890),
        LayerEntry(path: "données/café.txt", kind: .file, mode: 0o644, gid: 1, size: 6, mtime: 1234567890),
        LayerEntry(path: "abs/file", rawPath: "/abs/file", kind: .file, mode: 0o4755, gid: 1, mtime: 1234567890),
        LayerEntry(path: "dev/null", kind: .characterDevice, mode: 0o666, gid: 1, mtime: 1234567890),
        LayerEntry(path: "tmp/fifo", kind: .fifo, mode: 0o644, gid: 1, mtime: 1234567890),
    ]

    /// (tarfile format, python compression, then an optional shell step turning it into the final blob).
    @Test(arguments: [
        ("PAX_FORMAT", "gz", ""), ("GNU_FORMAT", "gz", ""), ("PAX_FORMAT", "", ""),
        ("PAX_FORMAT", "", "zstd -q --rm -o \"$1.zst\" \"$1\" && mv \"$1.zst\" \"$1\""),
    ])
    func listsEveryKindOfEntry(format: String, compression: String, convert: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/layer"
        try PythonTar.write(PythonTar.sample, to: path, format: format, compression: compression)
        if !convert.isEmpty { try Tool.shell(convert, arguments: [path]) }
        let entries = try Fixture.entries(of: path)
        #expect(entries.count == Self.expected.count)
        for (entry, expected) in zip(entries, Self.expected) {
            #expect(entry == expected)
        }
        #expect(entries.allSatisfy { $0.isSafe })
    }

    /// Real xz and bzip2 layers (python's own compressors) and the magic of every other
    /// compressor are refused by name before any decoder runs (libarchive would exec `lrzip`,
    /// `lzop` or `grzip` for some; the CLI tests prove no program runs).
    @Test(arguments: [("xz", "xz"), ("bz2", "bzip2")])
    func xzAndBzip2LayersAreRefused(compression: String, name: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/layer"
        try PythonTar.write(PythonTar.sample, to: path, compression: compression)
        let error = #expect(throws: LayerError.self) { _ = try Fixture.entries(of: path) }
        #expect(error == .unsupportedCompression(name))
    }

    @Test(arguments: LayerCompression.refused.map(\.name))
    func foreignCompressionsAreRefusedByName(_ name: String) throws {
        let magic = try #require(LayerCompression.refused.first { $0.name == name }?.magic)
        let bytes = magic + [UInt8](repeating: 0x5a, count: 600)
        let error = #expect(throws: LayerError.self) { _ = try LayerReader(source: MemorySource(bytes)) }
        #expect(error == .unsupportedCompression(name))
        #expect(error?.description == "the layer is \(name)-compressed; only gzip, zstd and uncompressed tar layers are read")
        // Shorter than the magic: not that format, so plain tar, which it is not either.
        let cut = #expect(throws: LayerError.self) {
            let reader = try LayerReader(source: MemorySource(Array(magic.dropLast())))
            _ = try reader.next()
        }
        #expect(cut.map { if case .archive = $0 { true } else { false } } == true, "\(String(describing: cut))")
    }

    @Test func readsContentAndSkipsTheRest() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/layer.tar.gz"
        try PythonTar.write(PythonTar.sample, to: path)
        let reader = try LayerReader(source: FileSource(path: path), bufferSize: 4096)
        var contents: [String: String] = [:]
        while let entry = try reader.next() {
            if entry.path == "etc/localtime" { try reader.skipData(); continue }
            guard entry.kind == .file, entry.size > 0 else { continue }
            let sink = CollectingSink(limit: 1024)
            try reader.readData(into: sink)
            contents[entry.path] = String(decoding: sink.bytes, as: UTF8.self)
        }
        #expect(contents == ["etc/hosts": "127.0.0.1 localhost\n", PythonTar.longName: "long", "données/café.txt": "crème"])
        #expect(try reader.next() == nil)
    }

    @Test func unsafeNamesAreReportedNotHidden() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/layer.tar.gz"
        try PythonTar.write([
            ("../evil", "REGTYPE", "x", 0o644, 0),
            ("a/../../b", "REGTYPE", "x", 0o644, 0),
            ("ok/link", "LNKTYPE", "../../etc/shadow", 0o644, 0),
            ("ok/.wh...", "REGTYPE", "", 0o644, 0),
            ("ok/file", "REGTYPE", "x", 0o644, 0),
        ], to: path)
        let entries = try Fixture.entries(of: path)
        #expect(entries.map(\.isSafe) == [false, false, false, false, true])
        #expect(entries.map(\.rawPath) == ["../evil", "a/../../b", "ok/link", "ok/.wh...", "ok/file"])
    }

    @Test func emptyLayersHaveNoEntries() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/empty"
        try PythonTar.write([], to: path)  // 1024 zero bytes, gzipped
        #expect(try Fixture.entries(of: path).isEmpty)
        try Tool.shell("printf '' | gzip > \"$1\"", arguments: [path])  // a gzip of nothing at all
        #expect(try Fixture.entries(of: path).isEmpty)
    }

    /// Fails while sniffing the format, then in the middle of an entry's data.
    @Test(arguments: [100, 200_000])
    func sourceErrorsPropagateUnchanged(failAfter: Int) throws {
        let directory = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<500_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let layer = try Fixture.layer([.bytes("/big", noise)], in: directory)
        let source = FailingSource(upstream: try FileSource(path: layer.path), failAfter: failAfter)
        #expect(throws: FailingSource.Dropped.self) {
            let reader = try LayerReader(source: source, bufferSize: 4096)
            _ = try reader.next()
            try reader.readData(into: DiscardingSink())
        }
    }

    @Test func garbageIsAClearError() throws {
        let error = #expect(throws: LayerError.self) {
            let reader = try LayerReader(source: MemorySource(Array("this is not a tar archive at all".utf8)))
            _ = try reader.next()
        }
        #expect(error?.description.hasPrefix("tar: ") == true)
    }

    @Test(arguments: [
        ("a/.wh..wh..opq", LayerEntry.Whiteout.opaque(directory: "a")),
        (".wh..wh..opq", .opaque(directory: "")),
        ("a/b/.wh.c", .whiteout(of: "a/b/c")),
        (".wh.c", .whiteout(of: "c")),
        ("a/.wh..wh.plnk", .metadata),
        ("a/.wh.", .metadata),
    ])
    func whiteoutsAreClassified(path: String, expected: LayerEntry.Whiteout) {
        #expect(LayerEntry.classifyWhiteout(path) == expected)
    }

    @Test(arguments: ["a/b", "a/wh.b", "a/.whx", "a/b.wh.c"])
    func ordinaryNamesAreNotWhiteouts(path: String) {
        #expect(LayerEntry.classifyWhiteout(path) == nil)
    }

    @Test(arguments: [
        ("./usr/bin/", "usr/bin", true), ("/etc//passwd", "etc/passwd", true), ("./", "", true),
        ("a/./b/.", "a/b", true), ("../x", "../x", false), ("a/../b", "a/../b", false),
    ])
    func namesAreNormalized(raw: String, path: String, safe: Bool) {
        let cleaned = LayerPath.clean(raw)
        #expect(cleaned.path == path)
        #expect(cleaned.safe == safe)
    }
}

/// Passes a number of bytes through, then fails like a dropped connection.
final class FailingSource: ByteSource, @unchecked Sendable {
    struct Dropped: Error {}
    private let upstream: ByteSource
    private var remaining: Int
    init(upstream: ByteSource, failAfter bytes: Int) {
        self.upstream = upstream
        remaining = bytes
    }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0 else { throw Dropped() }
        let count = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, remaining)]))
        remaining -= count
        return count
    }
}
