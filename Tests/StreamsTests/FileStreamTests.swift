import Foundation
import Testing
import OCI
@testable import Streams

@Suite("FileSource and FileSink")
struct FileStreamTests {
    @Test("reads the whole file", arguments: [1, 7, 4096, 65_536, 1 << 20])
    func readsWholeFile(bufferSize: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = pseudoRandomBytes(count: 300_001, seed: 7)
        let source = try FileSource(path: try dir.write("blob", data))
        #expect(source.length == Int64(data.count))
        #expect(try source.drain(bufferSize: bufferSize) == data)
        #expect(try source.drain(bufferSize: bufferSize) == [], "stays at the end until rewound")
        source.rewind()
        #expect(try source.drain(bufferSize: bufferSize) == data)
    }

    @Test func emptyFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let source = try FileSource(path: try dir.write("empty", []))
        #expect(source.length == 0)
        #expect(try source.drain(bufferSize: 16) == [])
    }

    @Test("slices", arguments: [
        (Int64(0), Int64?.some(0)), (0, 1), (0, nil), (1, 10), (999, 1), (500, nil), (1000, nil), (1000, 0), (123, 777),
    ])
    func slices(offset: Int64, length: Int64?) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = pseudoRandomBytes(count: 1000, seed: 3)
        let source = try FileSource(path: try dir.write("blob", data), offset: offset, length: length)
        let end = length.map { Int(offset + $0) } ?? data.count
        let expected = Array(data[Int(offset)..<end])
        #expect(source.length == Int64(expected.count))
        #expect(try source.drain(bufferSize: 64) == expected)
        source.rewind()
        #expect(try source.drain(bufferSize: 3) == expected)
        // A slice hashes to the digest of its bytes (what a chunked upload would send).
        source.rewind()
        let hashing = HashingSource(source)
        _ = try hashing.drain(bufferSize: 100)
        #expect(hashing.finalize() == Digest.of(expected))
    }

    @Test func missingFileFails() {
        do { _ = try FileSource(path: "/nonexistent/samforge/blob"); Issue.record("opened") } catch {
            #expect("\(error)".contains("/nonexistent/samforge/blob"))
        }
    }

    @Test func directoryFails() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(throws: StreamError.self) { try FileSource(path: dir.path) }
    }

    @Test("invalid slices fail up front", arguments: [(Int64(1001), Int64?.none), (-1, nil), (0, -5), (2000, 1)])
    func invalidSlices(offset: Int64, length: Int64?) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("blob", [UInt8](repeating: 0, count: 1000))
        #expect(throws: StreamError.self) { try FileSource(path: path, offset: offset, length: length) }
    }

    @Test func sliceBeyondTheEndFailsInsteadOfReturningShortData() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("blob", [UInt8](repeating: 9, count: 1000))
        let source = try FileSource(path: path, offset: 900, length: 200)
        #expect(source.length == 200)
        #expect(throws: StreamError.self) { try source.drain(bufferSize: 64) }
    }

    @Test func fileTruncatedAfterOpenFails() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("blob", [UInt8](repeating: 9, count: 1000))
        let source = try FileSource(path: path)
        #expect(truncate(path, 10) == 0)
        #expect(throws: StreamError.self) { try source.drain(bufferSize: 64) }
    }

    @Test func sinkCommitRenamesAtomically() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = pseudoRandomBytes(count: 200_000, seed: 11)
        let sink = try FileSink(path: dir.file("blob.partial"))
        #expect(sink.path == dir.file("blob.partial"))
        let hashing = HashingSink(forwardingTo: sink)
        try MemorySource(data).pump(to: hashing, bufferSize: 4096)
        #expect(dir.exists("blob.partial"))
        #expect(!dir.exists("blob"))
        try sink.commit(to: dir.file("blob"))
        #expect(!dir.exists("blob.partial"))
        #expect(try dir.read("blob") == data)
        #expect(hashing.finalize() == Digest.of(data))
        #expect(hashing.count == Int64(data.count))
    }

    @Test func commitReplacesAnExistingFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.write("blob", Array("old contents".utf8))
        let reader = try FileSource(path: dir.file("blob"))
        let sink = try FileSink(path: dir.file("blob.tmp"))
        try sink.write(Array("new".utf8))
        try sink.commit(to: dir.file("blob"))
        #expect(try dir.read("blob") == Array("new".utf8))
        // A reader that opened the old file keeps seeing it whole: nobody sees a partial file.
        #expect(try reader.drain(bufferSize: 4) == Array("old contents".utf8))
    }

    @Test func sinkTruncatesAnExistingPartialFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.write("blob.tmp", [UInt8](repeating: 1, count: 100))
        let sink = try FileSink(path: dir.file("blob.tmp"))
        try sink.write([2, 3])
        try sink.close()
        #expect(try dir.read("blob.tmp") == [2, 3])
    }

    @Test func writeAfterCloseThrowsClosed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let sink = try FileSink(path: dir.file("x"))
        try sink.close()
        try sink.close()  // idempotent
        do { try sink.write([1]); Issue.record("wrote after close") } catch StreamError.closed {} catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func discardRemovesThePartialFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let sink = try FileSink(path: dir.file("x.partial"))
        try sink.write([1, 2, 3])
        sink.discard()
        #expect(!dir.exists("x.partial"))
        sink.discard()  // harmless twice

        let committed = try FileSink(path: dir.file("y.partial"))
        try committed.write([1])
        try committed.commit(to: dir.file("y"))
        _ = try dir.write("y.partial", [9])  // someone else's new partial file
        committed.discard()
        #expect(dir.exists("y"))
        #expect(dir.exists("y.partial"), "discard after commit must not delete another file")
    }

    @Test func commitToAMissingDirectoryFails() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let sink = try FileSink(path: dir.file("x"))
        try sink.write([1])
        do { try sink.commit(to: dir.file("missing/x")); Issue.record("committed") } catch {
            #expect("\(error)".contains("cannot move"))
        }
    }

    @Test func createInAMissingDirectoryFails() {
        #expect(throws: StreamError.self) { try FileSink(path: "/nonexistent/samforge/x") }
    }
}
