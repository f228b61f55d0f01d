import Foundation
import Testing
@testable import OCI

private let hexEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

enum DigestOutcome: Sendable, Equatable { case valid, malformed, unsupported }

let digestValidationCases: [(String, DigestOutcome)] = [
        ("sha256:\(hexEmpty)", DigestOutcome.valid),
        ("sha256:" + String(repeating: "0", count: 64), .valid),
        ("sha256:" + String(repeating: "f", count: 64), .valid),
        ("", .malformed),
        ("sha256", .malformed),
        ("sha256:", .malformed),
        (":\(hexEmpty)", .malformed),
        ("sha256:abc", .malformed),
        ("sha256:" + String(hexEmpty.dropLast()), .malformed),
        ("sha256:\(hexEmpty)0", .malformed),
        ("sha256:" + hexEmpty.uppercased(), .malformed),
        ("sha256:" + String(repeating: "g", count: 64), .malformed),
        ("sha256: " + String(hexEmpty.dropFirst()), .malformed),
        (" sha256:\(hexEmpty)", .malformed),
        ("sha256:\(hexEmpty)\n", .malformed),
        ("sha256:\(hexEmpty)\r", .malformed),
        ("sha256::\(hexEmpty)", .malformed),
        ("sha256:../../../../etc/passwd" + String(repeating: "0", count: 41), .malformed),
        ("sha256:\(hexEmpty.prefix(32))/\(hexEmpty.prefix(31))", .malformed),
        ("sha256:" + String(repeating: "٣", count: 64), .malformed),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", .unsupported),
        ("sha512:\(hexEmpty)\(hexEmpty)", .unsupported),
        ("sha384:\(hexEmpty)", .unsupported),
        ("SHA256:\(hexEmpty)", .unsupported),
        ("blake3:\(hexEmpty)", .unsupported),
        ("sha/256:\(hexEmpty)", .malformed),
        ("sha 256:\(hexEmpty)", .malformed),
]

@Suite("Digest")
struct DigestTests {
    @Test("validation", arguments: digestValidationCases)
    func validation(_ input: String, _ outcome: DigestOutcome) {
        do {
            let digest = try Digest(input)
            #expect(outcome == .valid, "accepted \(input.debugDescription)")
            #expect(digest.description == input)
            #expect(digest.hex == String(input.dropFirst(7)))
            #expect(digest.algorithm == "sha256")
        } catch {
            switch error {
            case .malformed(let value): #expect(outcome == .malformed); #expect(value == input)
            case .unsupportedAlgorithm(let value): #expect(outcome == .unsupported); #expect(value == input)
            }
            #expect(!error.description.contains("\n") && !error.description.contains("\r"))
        }
    }

    @Test("known SHA-256 vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("The quick brown fox jumps over the lazy dog", "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
    ])
    func knownVectors(_ input: String, _ hex: String) throws {
        #expect(Digest.of(Array(input.utf8)).hex == hex)
        #expect(Digest.of(Data(input.utf8)) == (try Digest("sha256:" + hex)))
        #expect(Digest.of(input.utf8).description == "sha256:" + hex)
    }

    @Test func millionAs() {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Digest.of(bytes).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("incremental hashing equals one shot", arguments: [1, 3, 63, 64, 65, 1000, 4096])
    func incremental(_ chunk: Int) {
        var state: UInt32 = 12345
        let bytes = (0..<10_000).map { _ -> UInt8 in state = state &* 1_103_515_245 &+ 12345; return UInt8(truncatingIfNeeded: state >> 16) }
        let hasher = SHA256Hasher()
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            bytes[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
        }
        #expect(hasher.finalize() == Digest.of(bytes))
    }

    @Test func finalizeIsIdempotentAndLaterUpdatesAreIgnored() {
        let hasher = SHA256Hasher()
        hasher.update(Array("abc".utf8))
        let first = hasher.finalize()
        hasher.update(Array("more".utf8))
        #expect(hasher.finalize() == first)
        #expect(first.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let empty = SHA256Hasher()
        empty.update(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(empty.finalize().hex == hexEmpty)
    }

    @Test func codableRoundTrip() throws {
        struct Box: Codable, Equatable { var digest: Digest; var list: [Digest] }
        let box = Box(digest: try Digest("sha256:\(hexEmpty)"), list: [Digest.of(Array("abc".utf8)), Digest.of([])])
        let data = try JSONEncoder().encode(box)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"sha256:\(hexEmpty)\""))
        #expect(try JSONDecoder().decode(Box.self, from: data) == box)
    }

    @Test("decoding rejects invalid digests", arguments: ["\"sha256:abc\"", "\"md5:d41d8cd98f00b204e9800998ecf8427e\"", "42", "null", "\"\(hexEmpty)\""])
    func decodingRejects(_ json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Digest].self, from: Data("[\(json)]".utf8)) }
    }

    @Test func shortAndOrdering() throws {
        let a = try Digest("sha256:\(hexEmpty)")
        #expect(a.short == "e3b0c44298fc")
        #expect(a.short.count == 12)
        let b = Digest.of(Array("abc".utf8))  // ba78...
        #expect(b < a)
        #expect([a, b].sorted() == [b, a])
        #expect(Set([a, try Digest("sha256:\(hexEmpty)")]).count == 1)
    }

    @Test func errorDescriptionsEscapeControlCharacters() {
        do { _ = try Digest("sha256:\r\nX-Injected: 1"); Issue.record("accepted") } catch {
            #expect(error.description.contains("sha256:\\r\\nX-Injected: 1"))
            #expect(!error.description.contains("\n"))
        }
    }
}
