import Foundation
import Testing
import TestSupport
@testable import Assembly

/// The tar header writer and scanner of docker archives, checked against python's tarfile.
@Suite struct TarIndexTests {
    /// Archives python writes in each format: long names (PAX record / GNU `L` entry / ustar
    /// prefix), symlinks and hard links like `docker save`'s shared layers.
    static let script = """
    import io, sys, tarfile
    out, fmt = sys.argv[1], getattr(tarfile, sys.argv[2])
    long = 'd' * 60 + '/' + 'e' * 60 + '/blob.tar'
    def add(t, name, data=None, kind=tarfile.REGTYPE, link=''):
        i = tarfile.TarInfo(name); i.type = kind; i.linkname = link
        if data is not None: i.size = len(data)
        t.addfile(i, io.BytesIO(data) if data is not None else None)
    with tarfile.open(out, 'w', format=fmt) as t:
        add(t, 'manifest.json', b'[]')
        add(t, long, b'x' * 1000)
        add(t, long.replace('blob.tar', 'link.tar'), kind=tarfile.SYMTYPE, link='./blob.tar')
        add(t, 'target.tar', b'y' * 3)
        add(t, 'hard.tar', kind=tarfile.LNKTYPE, link='target.tar')
        add(t, 'abc/layer.tar', kind=tarfile.SYMTYPE, link='../hard.tar')
        add(t, './dir/', kind=tarfile.DIRTYPE)
        add(t, 'dir/empty', b'')
    """

    @Test(arguments: ["PAX_FORMAT", "GNU_FORMAT", "USTAR_FORMAT"])
    func indexesPythonArchives(format: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/a.tar"
        _ = try PythonCheck.run(Self.script, [path, format])
        let index = try TarIndex(path: path, what: "test")
        let long = String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60) + "/blob.tar"
        let blob = try #require(index.entries[long])
        #expect(blob.size == 1000)
        // The body is where the index says: read it independently of the scanner.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(blob.offset))
        #expect(try handle.read(upToCount: 1000) == Data(repeating: UInt8(ascii: "x"), count: 1000))
        #expect(index.resolve(long.replacingOccurrences(of: "blob.tar", with: "link.tar"))?.offset == blob.offset)
        let target = try #require(index.entries["target.tar"])
        #expect(index.resolve("abc/layer.tar")?.offset == target.offset)  // symlink → hard link → file
        #expect(index.resolve("./hard.tar")?.size == 3)
        #expect(index.resolve("manifest.json")?.size == 2)
        #expect(index.resolve("dir/empty")?.size == 0)
        #expect(index.resolve("dir") == nil)  // a directory is no file
    }

    @Test func pythonReadsTheHeadersWeWrite() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ours.tar"
        var bytes: [UInt8] = []
        for (name, size) in [("a.json", 3), (String(repeating: "f", count: 64) + ".tar.gz", 1025), ("empty", 0)] {
            bytes += try TarHeader.regularFile(name: name, size: Int64(size))
            bytes += [UInt8](repeating: 0x41, count: size) + [UInt8](repeating: 0, count: TarHeader.padding(after: Int64(size)))
        }
        bytes += TarHeader.trailer
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let members = try PythonCheck.tarMembers(path)
        #expect(members == ["a.json": 3, String(repeating: "f", count: 64) + ".tar.gz": 1025, "empty": 0])
        #expect(try TarIndex(path: path, what: "t").entries.count == 3)
    }

    @Test(arguments: [Int64(0), 1, 0o77777777776, 0o77777777777, 1 << 40, 123_456_789_012_345])
    func sizeFieldRoundTrips(size: Int64) throws {
        let field = TarHeader.sizeField(size)
        #expect(field.count == 12)
        #expect(try TarIndex.number(field[...], what: "t", offset: 0) == size)
        if size >= 0o77777777777 { #expect(field[0] == 0x80) }  // base-256
    }

    @Test func rejectsWhatIsNotATar() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/junk"
        try Data(repeating: 0x42, count: 2048).write(to: URL(fileURLWithPath: path))
        #expect { _ = try TarIndex(path: path, what: "docker-archive:junk") } throws: {
            String(describing: $0) == "docker-archive:junk: not a tar archive"
        }
        // A header promising more bytes than the file has.
        let truncated = directory.path + "/truncated.tar"
        try Data(try TarHeader.regularFile(name: "big", size: 1 << 20) + [UInt8](repeating: 0, count: 100)).write(to: URL(fileURLWithPath: truncated))
        #expect { _ = try TarIndex(path: truncated, what: "t") } throws: { String(describing: $0).contains("truncated") }
    }

    @Test func longNamesAreRefusedByTheWriter() {
        #expect(throws: AssemblyError.self) { _ = try TarHeader.regularFile(name: String(repeating: "n", count: 101), size: 0) }
    }
}
