import Foundation
import OCI
import Streams
import Testing
@testable import Layers

/// Names that are not UTF-8 (`x\xff`, `x\xfe`) once both decoded to `x\u{FFFD}`, and one file
/// silently replaced the other in a merged image. They are kept as bytes: distinct, shown with
/// `\xNN`, whited out by their own whiteouts; copying one into a new layer is refused.
@Suite struct NonUTF8NameTests {
    /// Writes a layer with python's tarfile; names are python bytes literals, written raw
    /// (ustar/GNU headers, or PAX with hdrcharset=BINARY).
    static func layer(_ entries: [String], format: String = "PAX_FORMAT", in directory: TemporaryDirectory) throws -> String {
        let path = directory.path + "/layer-\(UUID().uuidString).tar"
        try Tool.python("""
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w", format=getattr(tarfile, sys.argv[2]), encoding="utf-8", errors="surrogateescape") as t:
                for kind, name, target in [\(entries.joined(separator: ", "))]:
                    info = tarfile.TarInfo(name.decode("utf-8", "surrogateescape"))
                    data = b""
                    if kind == "file": data = name
                    elif kind == "dir": info.type = tarfile.DIRTYPE
                    elif kind == "link": info.type, info.linkname = tarfile.LNKTYPE, target.decode("utf-8", "surrogateescape")
                    elif kind == "sym": info.type, info.linkname = tarfile.SYMTYPE, target.decode("utf-8", "surrogateescape")
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
            """, [path, format])
        return path
    }

    static func file(_ name: String) -> String { "('file', b'\(name)', b'')" }

    @Test(arguments: ["PAX_FORMAT", "GNU_FORMAT", "USTAR_FORMAT"])
    func distinctBytesStayDistinct(format: String) throws {
        let directory = try TemporaryDirectory()
        // x\xff (a stray byte), x\xfe, a UTF-8 name spelling "x\xff" with a backslash, a stray
        // byte beside a backslash, é, and directories told apart by one byte.
        let path = try Self.layer([Self.file("x\\xff"), Self.file("x\\xfe"), Self.file("x\\\\xff"), Self.file("b\\\\\\xff"),
                                   Self.file("caf\\xc3\\xa9"), Self.file("d\\xff/f"), Self.file("d\\xfe/f")], format: format, in: directory)
        let entries = try Fixture.entries(of: path)
        #expect(entries.map(\.path) == ["x\\xff", "x\\xfe", "x\\xff", "b\\\\\\xff", "café", "d\\xff/f", "d\\xfe/f"])
        #expect(entries.map(\.pathBytes) == [[0x78, 0xff], [0x78, 0xfe], nil, [0x62, 0x5c, 0xff], nil,
                                             [0x64, 0xff, 0x2f, 0x66], [0x64, 0xfe, 0x2f, 0x66]])

        let merged = MergedFilesystem()
        try merged.apply(layerIndex: 0, reader: LayerReader(source: FileSource(path: path)))
        let listing = merged.listing()
        #expect(listing.count == 9)
        let pairs = listing.map { "\($0.path) \($0.entry.pathBytes.map { "\($0)" } ?? "utf8")" }
        #expect(Set(pairs) == ["x\\xff [120, 255]", "x\\xfe [120, 254]", "x\\xff utf8", "b\\\\\\xff [98, 92, 255]", "café utf8",
                               "d\\xff [100, 255]", "d\\xff/f [100, 255, 47, 102]", "d\\xfe [100, 254]", "d\\xfe/f [100, 254, 47, 102]"])
    }

    /// A whiteout names bytes too: `.wh.x\xff` deletes `x\xff` and nothing else.
    @Test func whiteoutsMatchBytes() throws {
        let directory = try TemporaryDirectory()
        let lower = try Self.layer([Self.file("x\\xff"), Self.file("x\\xfe"), Self.file("d\\xff/a"), Self.file("d\\xfe/a")], in: directory)
        let upper = try Self.layer([Self.file(".wh.x\\xff"), Self.file("d\\xfe/.wh..wh..opq"), Self.file("d\\xfe/b")], in: directory)
        let merged = MergedFilesystem()
        try merged.apply(layerIndex: 0, reader: LayerReader(source: FileSource(path: lower)))
        try merged.apply(layerIndex: 1, reader: LayerReader(source: FileSource(path: upper)))
        #expect(merged.listing().map(\.path) == ["d\\xfe", "d\\xfe/b", "d\\xff", "d\\xff/a", "x\\xfe"])
    }

    /// Hard links resolve by bytes; copying such names is refused naming the path, copying a
    /// UTF-8 part of the same image works.
    @Test func copyingRefusesWhatItCannotWrite() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.layer([Self.file("opt/x\\xff"), "('link', b'opt/y', b'opt/x\\xff')", Self.file("opt/x\\xfe"),
                                   "('sym', b'lib/l', b't\\xff')", Self.file("ok/plain")], in: directory)
        let merged = try MergedFilesystem(selecting: ["/"], stagingDirectory: directory.path + "/staging")
        try merged.apply(layerIndex: 0, reader: LayerReader(source: FileSource(path: path)))
        let link = try #require(merged.item(at: "/opt/y"))
        #expect(link.entry.kind == .hardlink && link.entry.linkTargetBytes == [0x6f, 0x70, 0x74, 0x2f, 0x78, 0xff])
        #expect(try merged.entries(under: "/opt/y", destination: "/y").first.flatMap { try Fixture.content(of: $0) } == Array("opt/x".utf8) + [0xff])
        // the content of x\xff (each file holds its own name)
        #expect(throws: LayerError.nonUTF8Name(path: "opt/x\\xfe")) { try merged.entries(under: "/opt", destination: "/opt") }  // sorts first
        #expect(throws: LayerError.nonUTF8Name(path: "lib/l")) { try merged.entries(under: "/lib", destination: "/lib") }
        let error = #expect(throws: LayerError.self) { try merged.entries(under: "/opt", destination: "/opt") }
        #expect(error?.description.hasPrefix("cannot copy \"/opt/x\\xfe\": its name") == true, "\(String(describing: error))")
        #expect(try merged.entries(under: "/ok", destination: "/ok").map(\.path) == ["ok", "ok/plain"])
    }

    @Test(arguments: [
        ([0x61, 0x62], "ab", true), ([0x78, 0xff], "x\\xff", false), ([0xc3, 0xa9], "é", true), ([0xc3], "\\xc3", false),
        ([0xc0, 0xaf], "\\xc0\\xaf", false),  // overlong "/"
        ([0xed, 0xa0, 0x80], "\\xed\\xa0\\x80", false),  // a surrogate
        ([0xf4, 0x90, 0x80, 0x80], "\\xf4\\x90\\x80\\x80", false),  // past U+10FFFF
        ([0xf0, 0x9f, 0x98, 0x80, 0xff], "😀\\xff", false),
    ] as [([UInt8], String, Bool)])
    func namesDecodeOrEscape(bytes: [UInt8], text: String, isUTF8: Bool) {
        let decoded = LayerName.decode(bytes)
        #expect(decoded.text == text && decoded.isUTF8 == isUTF8)
    }
}
