import Foundation
import Testing
import TestSupport
@testable import Registry

// Robustness: what a registry (or something in front of it) sends in headers and error bodies
// must parse to a value or nothing, never trap or hang. Deterministic: seeded PRNG only.

private let headerPieces: [String] = [
    "Bearer", "Basic", "bearer", "BASIC", "Negotiate", "realm", "service", "scope", "error", "=", "==", "\"", "\\", "\\\"", ",", ",,", " ",
    "  ", "\t", "<", ">", ";", "rel", "next", "rel=\"next\"", "rel=next", "https://r/v2/a/tags/list?n=1&last=b", "/v2/x", "bytes=",
    "0", "-", "1", "9223372036854775807", "9223372036854775808", "99999999999999999999999", "1e400", "nan", "inf", "-0", "é", "e\u{301}",
    "\u{301}", "🚀", "\u{0}", "\u{1b}[2J", "\r\n", "\n", "\u{2028}", "\u{feff}", "Wed, 21 Oct 2015 07:28:00 GMT", "GMT",
]

private func randomHeader(_ rng: inout SeededGenerator, parts: ClosedRange<Int> = 0...14) -> String {
    (0..<Int.random(in: parts, using: &rng)).map { _ in headerPieces[Int.random(in: 0..<headerPieces.count, using: &rng)] }.joined()
}

@Suite("Fuzz: WWW-Authenticate")
struct FuzzChallengeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let header: String
        let scheme: Challenge.Scheme?
        let parameters: [String: String]
        var testDescription: String { header.debugDescription }
    }

    static let hostile: [Case] = [
        .init(header: #"Bearer realm="unterminated"#, scheme: .bearer, parameters: ["realm": "unterminated"]),
        .init(header: #"Bearer realm="a\"#, scheme: .bearer, parameters: ["realm": "a"]),
        .init(header: #"Bearer realm=""#, scheme: .bearer, parameters: ["realm": ""]),
        .init(header: "Bearer realm=", scheme: .bearer, parameters: ["realm": ""]),
        .init(header: "Bearer =x", scheme: .bearer, parameters: [:]),
        .init(header: "Bearer ,,,,", scheme: .bearer, parameters: [:]),
        .init(header: ",,,,", scheme: nil, parameters: [:]),
        .init(header: "   ", scheme: nil, parameters: [:]),
        .init(header: "=", scheme: nil, parameters: [:]),
        .init(header: "\"", scheme: nil, parameters: [:]),
        .init(header: #"Bearer realm="x",realm="y""#, scheme: .bearer, parameters: ["realm": "y"]),
        .init(header: #"Bearer a=1,,b=2 , c="3,4""#, scheme: .bearer, parameters: ["a": "1", "b": "2", "c": "3,4"]),
        .init(header: #"Bearer réalm="ü",scope="🚀""#, scheme: .bearer, parameters: ["réalm": "ü", "scope": "🚀"]),
        .init(header: "Bearer realm=\"a\u{0}b\"", scheme: .bearer, parameters: ["realm": "a\u{0}b"]),
        .init(header: #"Digest realm="x", Basic"#, scheme: .basic, parameters: [:]),
        .init(header: "Bearer\u{301} realm=x", scheme: nil, parameters: [:]),
        .init(header: #"Bearer size=99999999999999999999999999"#, scheme: .bearer, parameters: ["size": "99999999999999999999999999"]),
    ]

    @Test(arguments: hostile)
    func hostileHeaders(_ c: Case) {
        let challenge = Challenge.parse(c.header)
        #expect(challenge?.scheme == c.scheme)
        if c.scheme != nil { #expect(challenge?.parameters == c.parameters) }
    }

    @Test func randomHeadersTerminateWithASaneAnswer() {
        var rng = SeededGenerator(seed: 0xc4a1)
        var found = 0
        for _ in 0..<4000 {
            let header = randomHeader(&rng)
            guard let challenge = Challenge.parse(header) else { continue }
            found += 1
            // A scheme is only reported when the header names it.
            #expect(header.lowercased().contains(challenge.scheme.rawValue), "\(header.debugDescription)")
            #expect(challenge.parameters.keys.allSatisfy { !$0.isEmpty && $0 == $0.lowercased() })
        }
        #expect(found > 30, "found \(found)")
    }

    @Test func mutatedRealHeadersStillParse() {
        let real = #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
        #expect(Challenge.parse(real)?.service == "registry.docker.io")
        var rng = SeededGenerator(seed: 0xbea7e7)
        let bytes = Array(real.utf8)
        for length in 0...bytes.count {  // every truncation
            let header = String(decoding: bytes[..<length], as: UTF8.self)
            let challenge = Challenge.parse(header)
            if length >= 6 { #expect(challenge?.scheme == .bearer, "\(header)") }
        }
        for _ in 0..<2000 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<mutated.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: mutated[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: mutated.remove(at: at)
                default: mutated.insert(contentsOf: Array(headerPieces.randomElement(using: &rng)!.utf8), at: at)
                }
            }
            _ = Challenge.parse(String(decoding: mutated, as: UTF8.self))
        }
    }

    @Test func hugeHeadersAreLinear() {
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(Challenge.parse(String(repeating: ",", count: 50_000)) == nil)
            #expect(Challenge.parse("Bearer " + String(repeating: "a=b,", count: 10_000))?.parameters["a"] == "b")
            #expect(Challenge.parse("Bearer realm=\"" + String(repeating: "\\\"", count: 20_000))?.realm?.count == 20_000)
            #expect(Challenge.parse(String(repeating: "x ", count: 20_000)) == nil)
        }
        #expect(elapsed < .seconds(5), "\(elapsed)")
    }
}

@Suite("Fuzz: Link, Range and Retry-After headers")
struct FuzzPaginationAndRangeTests {
    @Test(arguments: [
        ("", nil), ("<", nil), (">", nil), ("><", nil), (#">; rel="next" <"#, nil), (#"</a>; rel="prev""#, nil),
        (#"<>; rel="next""#, ""), (#"</a>; rel=next"#, "/a"),
        (#"<x>, </a>; rel="next", </b>; rel="next""#, "/a"), ("rel=\"next\"", nil), (#"<</a>>; rel="next""#, "</a"),
        (#"</é🚀>; rel="next""#, "/é🚀"), ("<\u{0}>; rel=next", "\u{0}"), (",,,,", nil),
    ] as [(String, String?)])
    func linkHeaders(_ header: String, _ expected: String?) {
        #expect(nextLink(header) == expected)
    }

    @Test func randomLinkHeaders() {
        var rng = SeededGenerator(seed: 0x11a4)
        var found = 0
        let rels = [#"rel="next""#, "rel=next", #"rel="prev""#, "rel=", ""]
        for _ in 0..<4000 {
            // Link-shaped segments around random pieces, and pure noise.
            let header = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                Bool.random(using: &rng) ? randomHeader(&rng, parts: 0...4)
                    : "<" + randomHeader(&rng, parts: 0...3) + ">;" + randomHeader(&rng, parts: 0...1) + rels.randomElement(using: &rng)!
            }.joined(separator: randomHeader(&rng, parts: 0...1) + ",")
            guard let link = nextLink(header) else { continue }
            found += 1
            #expect(!link.contains(",") && header.contains("<" + link + ">"), "\(header.debugDescription)")
        }
        #expect(found > 300, "found \(found)")
    }

    @Test(arguments: [
        ("0-0", 0), ("bytes=0-0", 0), ("0-99", 100), ("bytes=0-1023", 1024), ("0-9223372036854775806", Int64.max),
        ("0-9223372036854775807", nil), ("0-9223372036854775808", nil), ("0-99999999999999999999999", nil),
        ("", nil), ("-", nil), ("0-", nil), ("-5", nil), ("5", nil), ("a-b", nil), ("0-1-2", nil), ("0-1e3", nil),
        ("0- 5", nil), ("0-٣", nil), ("bytes=", nil), ("0-+5", 6),
    ] as [(String, Int64?)])
    func uploadRanges(_ header: String, _ expected: Int64?) {
        #expect(uploadedByteCount(range: header) == expected)
    }

    @Test func randomUploadRanges() {
        var rng = SeededGenerator(seed: 0x7a9e)
        for _ in 0..<4000 {
            let header = randomHeader(&rng, parts: 0...6)
            if let count = uploadedByteCount(range: header) { #expect(count >= 0, "\(header.debugDescription)") }
        }
    }

    @Test(arguments: [
        "", " ", "nan", "-nan", "NaN", "inf", "-inf", "infinity", "1e400", "-1e400", "-5", "-0", "1e308", "0x1p2000",
        "99999999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Mon, 32 Foo 2025 99:99:99 GMT",
        "\u{0}", "3\u{0}", "é", "1,5", "  7  ",
    ])
    func retryAfterIsBoundedAndFinite(_ header: String) {
        let policy = RetryPolicy()
        let delay = policy.delay(afterAttempt: 1, retryAfter: header)
        #expect(delay.isFinite && delay >= 0 && delay <= 60, "\(header.debugDescription) → \(delay)")
        if let parsed = RetryPolicy.parseRetryAfter(header) { #expect(!parsed.isNaN && parsed >= 0, "\(header.debugDescription) → \(parsed)") }
    }

    @Test func retryAfterValues() {
        #expect(RetryPolicy.parseRetryAfter("  7  ") == 7)
        #expect(RetryPolicy.parseRetryAfter("nan") == 0)
        #expect(RetryPolicy().delay(afterAttempt: 1, retryAfter: "1e400") == 60)
        #expect(RetryPolicy().delay(afterAttempt: 1, retryAfter: "Fri, 31 Dec 9999 23:59:59 GMT") == 60)
        #expect(RetryPolicy.parseRetryAfter("é") == nil)
        var rng = SeededGenerator(seed: 0x2e7)
        for _ in 0..<300 {
            let header = randomHeader(&rng, parts: 0...4)
            let delay = RetryPolicy().delay(afterAttempt: Int.random(in: 1...64, using: &rng), retryAfter: header)
            #expect(delay.isFinite && delay >= 0 && delay <= 60, "\(header.debugDescription) → \(delay)")
        }
    }
}

@Suite("Fuzz: registry error bodies")
struct FuzzRegistryErrorBodyTests {
    /// One line, no control characters: what reaches the terminal is plain text.
    static func isOneCleanLine(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }
    }

    @Test(arguments: [
        (#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#, ["MANIFEST_UNKNOWN"], "MANIFEST_UNKNOWN: manifest unknown"),
        (#"{"errors":[{"code":"DENIED"},{"message":"two"}]}"#, ["DENIED"], "DENIED; two"),
        (#"{"errors":[{"code":"X","message":"line1\nline2\r\n\u001b[31mred\u001b[0m"}]}"#, ["X"], "X: line1 line2 [31mred [0m"),
        (#"{"errors":[]}"#, [], #"{"errors":[]}"#),
        (#"{"errors":null}"#, [], #"{"errors":null}"#),
        (#"{"errors":[{"code":5}]}"#, [], #"{"errors":[{"code":5}]}"#),
        ("<html>\n<body>502</body></html>", [], ""),
        ("  plain\ttext\n\nerror  ", [], "plain text error"),
        ("", [], ""),
        (String(repeating: "[", count: 513), [], String(repeating: "[", count: 200)),
        (#"{"errors":"# + String(repeating: "[", count: 512), [], #"{"errors":"# + String(repeating: "[", count: 190)),
    ] as [(String, [String], String)])
    func summaries(_ body: String, _ codes: [String], _ text: String) {
        let summary = RegistryErrorBody.summary(Array(body.utf8))
        #expect(summary.codes == codes)
        #expect(summary.text == text)
        #expect(Self.isOneCleanLine(summary.text))
    }

    @Test func randomBodiesGiveOneCleanLine() {
        var rng = SeededGenerator(seed: 0xe5505)
        let template = Array(#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"},{"code":"DENIED"}]}"#.utf8)
        #expect(RegistryErrorBody.summary(template).codes == ["NAME_UNKNOWN", "DENIED"])
        var decoded = 0
        for iteration in 0..<3000 {
            var bytes: [UInt8]
            if iteration % 3 == 0 {
                bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                bytes = template
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    if Bool.random(using: &rng) { bytes[at] = UInt8.random(in: 0...255, using: &rng) } else {
                        bytes.insert(contentsOf: Array(headerPieces.randomElement(using: &rng)!.utf8), at: at)
                    }
                }
            }
            let summary = RegistryErrorBody.summary(bytes)
            if !summary.codes.isEmpty { decoded += 1 }
            #expect(Self.isOneCleanLine(summary.text), "\(summary.text.debugDescription)")
        }
        #expect(decoded > 100, "decoded \(decoded)")
    }
}
