import Foundation
import OCI
import Testing
@testable import Attestations

/// The SBOM is written as a stream (an SBOM of 100,000 files through JSONEncoder held ten times
/// its size in memory). The stream must be the very bytes the canonical encoder gives for the
/// document as a value, whatever the strings hold and however many files there are.
@Suite struct StreamedSBOMTests {
    /// Every ASCII byte, the escapes JSON knows, line and paragraph separators, a byte-order
    /// mark, combining marks, emoji, slashes, quotes and backslashes.
    static let awkward: [String] = [
        String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self),
        "\u{2028}\u{2029}\u{7f}\u{80}\u{feff}é😀e\u{301}", "a/b\\c\"d", "", "\u{1b}[31mred\u{1b}[0m", "tab\there\nnew\rline",
    ]

    @Test(arguments: awkward) func writerMatchesTheCanonicalEncoderOnStrings(_ text: String) throws {
        var writer = CanonicalJSONWriter()
        let value = JSONValue.object([text: .array([.string(text), .int(-42), .bool(true), .null, .object([:]), .array([])])])
        writer.write(value)
        #expect(writer.finish() == (try CanonicalJSON.encode(value)))
    }

    /// Keys sort by their UTF-8 bytes, as the encoder sorts them (not by Unicode collation).
    @Test func writerSortsKeysAsTheEncoderDoes() throws {
        let keys = ["b", "B", "a10", "a9", "SPDXID", "checksums", "_x", "é", "e\u{301}x", "éa", "Z", "a-b", "😀", "\u{fffd}", "ab"]
        let value = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, JSONValue.int(Int64($0))) }))
        var writer = CanonicalJSONWriter()
        writer.write(value)
        #expect(writer.finish() == (try CanonicalJSON.encode(value)))
    }

    @Test(arguments: [0, 1, 2, 1000, 6000])
    func streamedSBOMEqualsTheEncodedDocument(files count: Int) throws {
        let files = (0..<count).map { index in
            BuildRecord.File(path: "/opt/\(Self.awkward[index % Self.awkward.count].prefix(40))/f\(index)",
                             sha256: String(repeating: "ab", count: 32), sha1: String(repeating: "c", count: 40), size: Int64(index))
        }
        var record = AttestationDocumentTests.record(files: files)
        record.subject.name = "registry.example.com/" + Self.awkward[1]
        record.subject.tag = nil
        record.inputs.append(.init(kind: .file, role: "--file", location: Self.awkward[0], digest: Digest.of([1])))
        #expect(try SPDXDocument.encode(record) == (try CanonicalJSON.encode(SPDXDocument.document(record))))
    }

    /// SPDX 2.3 §7.9, computed the plain way: SHA-1 of the sorted, concatenated SHA-1s.
    @Test func packageVerificationCodeIsTheSortedConcatenation() throws {
        let sha1s = (0..<500).map { index in (0..<20).map { byte in String(format: "%02x", (index * 37 + byte * 11) % 256) }.joined() }
        let files = sha1s.enumerated().map { BuildRecord.File(path: "/f\($0.offset)", sha256: String(repeating: "0", count: 64), sha1: $0.element, size: 1) }
        let expected = SHA1Hasher()
        Array(sha1s.sorted().joined().utf8).withUnsafeBytes { expected.update($0) }
        let document = try #require(try JSONSerialization.jsonObject(with: Data(try SPDXDocument.encode(AttestationDocumentTests.record(files: files)))) as? [String: Any])
        let image = try #require((document["packages"] as? [[String: Any]])?.first)
        #expect((image["packageVerificationCode"] as? [String: Any])?["packageVerificationCodeValue"] as? String == expected.finalize())
    }
}
