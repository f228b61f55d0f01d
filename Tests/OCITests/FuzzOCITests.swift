import Foundation
import Testing
import TestSupport
@testable import OCI

// Robustness: mutated and hostile manifests, indexes, configs, digests, references and platforms
// must give a value or a thrown error (one line), never a trap. Deterministic: seeded PRNG only.

private enum FuzzFixture {
    static let configDigest = "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"
    static let layerDigest = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
    static let amd64Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let armDigest = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

    static let dockerList = """
    {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[
     {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"\(amd64Digest)","size":1570,"platform":{"architecture":"amd64","os":"linux"}},
     {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"\(armDigest)","size":1571,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}
    """

    static let ociIndex = """
    {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
     {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(amd64Digest)","size":7143,
      "platform":{"architecture":"amd64","os":"linux","os.features":["sse4"]},"annotations":{"a":"b"}}],
     "annotations":{"org.opencontainers.image.ref.name":"latest"}}
    """

    static let ociManifest = """
    {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
     "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":7023},
     "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(layerDigest)","size":32654,
                "annotations":{"org.opencontainers.image.title":"a/b"}}],
     "annotations":{"x":"y"}}
    """

    static let dockerManifest = """
    {
       "schemaVersion": 2,
       "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": "\(configDigest)"},
       "layers": [
          {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654, "digest": "\(layerDigest)"},
          {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 0, "digest": "\(amd64Digest)"}
       ]
    }
    """

    static let config = """
    {"architecture":"arm64","os":"linux","variant":"v8","created":"2025-05-02T20:03:16Z",
     "config":{"User":"","Env":["PATH=/usr/bin:/bin","LANG=C.UTF-8"],"Entrypoint":["/lambda-entrypoint.sh"],
               "Cmd":["app.handler"],"WorkingDir":"/var/task","Labels":{"maintainer":"AWS"},
               "ExposedPorts":{"8080/tcp":{}},"Volumes":null,"Healthcheck":{"Test":["NONE"],"Interval":30000000000}},
     "rootfs":{"type":"layers","diff_ids":["\(amd64Digest)","\(armDigest)"]},
     "history":[{"created":"2025-05-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:x in / "},
                {"created":"2025-05-02T00:00:00Z","created_by":"ENV LANG=C.UTF-8","empty_layer":true},
                {"created_by":"COPY app /var/task","comment":"buildkit.dockerfile.v0"}],
     "unmodelled":{"weights":[1.5,-2,1e22,0.1],"flag":true}}
    """

    static let documents: [(name: String, json: String)] = [
        ("docker manifest list", dockerList), ("OCI index", ociIndex), ("OCI manifest", ociManifest),
        ("docker manifest", dockerManifest), ("config", config),
    ]
}

/// Every parser a manifest or config blob reaches, with the invariants a success must hold.
/// Returns how many of them accepted the bytes.
@discardableResult
private func exerciseDocumentParsers(_ bytes: [UInt8], declaredType: String? = nil) -> Int {
    var accepted = 0
    if let raw = try? RawManifest(bytes: bytes, declaredType: declaredType) {
        accepted += 1
        #expect(raw.digest == Digest.of(bytes))
        #expect(MediaType.isIndex(raw.mediaType) || MediaType.isManifest(raw.mediaType))
        if raw.isIndex, let index = try? raw.decodeIndex() {
            #expect(index.manifests.allSatisfy { $0.size >= 0 })
            _ = index.child(for: .linuxAMD64)
        }
        if !raw.isIndex, let manifest = try? raw.decodeManifest() {
            #expect(([manifest.config] + manifest.layers).allSatisfy { $0.size >= 0 })
            _ = manifest.isDockerFlavour
        }
    } else {
        do { _ = try RawManifest(bytes: bytes, declaredType: declaredType) } catch {
            #expect(!error.description.contains("\n"), "\(error.description.debugDescription)")
        }
    }
    if let manifest = try? UntrustedJSON.decode(ImageManifest.self, from: bytes) {
        accepted += 1
        #expect(([manifest.config] + manifest.layers + (manifest.subject.map { [$0] } ?? [])).allSatisfy { $0.size >= 0 })
    }
    if let index = try? UntrustedJSON.decode(ImageIndex.self, from: bytes) {
        accepted += 1
        #expect(index.manifests.allSatisfy { $0.size >= 0 })
    }
    if let config = try? ImageConfig.decode(bytes) {
        accepted += 1
        _ = config.platform
    }
    if let value = try? UntrustedJSON.decode(JSONValue.self, from: bytes) {
        accepted += 1
        // What we write we read back: after one normalization (a Double past Int64.min, written
        // as -9.223372036854776e+18, reads back as Int64.min) encoding and parsing are stable.
        if let once = try? CanonicalJSON.encode(value), let normalized = try? JSONValue(parsing: once),
           let twice = try? CanonicalJSON.encode(normalized) {
            #expect((try? JSONValue(parsing: twice)) == normalized, "\(String(decoding: twice.prefix(300), as: UTF8.self))")
        } else {
            Issue.record("cannot re-read \(String(decoding: bytes.prefix(300), as: UTF8.self))")
        }
    }
    if var editor = try? ConfigEditor(bytes: bytes) {
        accepted += 1
        editor.setEnv("FUZZ", "1")
        editor.setEntrypoint(["/x"])
        if let digest = try? Digest(FuzzFixture.layerDigest) {
            editor.appendLayer(diffID: digest, history: .init(created_by: "fuzz"))
        }
        editor.setCreated("1970-01-01T00:00:00Z")
        // Whatever was parsed can be written back and read again.
        let reread = (try? editor.encoded()).flatMap { try? ConfigEditor(bytes: $0) }
        #expect(reread?.document["config"]?["Entrypoint"] == .array([.string("/x")]))
    }
    return accepted
}

/// What JSONDecoder makes of a document as a `JSONValue` (the slow reference the linear parser
/// must agree with); the trailing space avoids Foundation's trap on a nesting error at the last byte.
private func referenceJSONValue(_ bytes: [UInt8]) -> JSONValue? {
    try? JSONDecoder().decode(JSONValue.self, from: Data(bytes + [0x20]))
}

/// Deterministic mutations of a document: each is (label, bytes).
private func mutations(of original: [UInt8], seed: UInt64, count: Int) -> [(String, [UInt8])] {
    var rng = SeededGenerator(seed: seed)
    var result: [(String, [UInt8])] = []
    let interesting: [[UInt8]] = ["\"", "{", "}", "[", "]", ",", ":", "\\", "\\u", "1e400", "-", "null", "\u{0}", "\u{7f}"]
        .map { Array($0.utf8) } + [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]
    for iteration in 0..<count {
        var bytes = original
        guard !bytes.isEmpty else { break }
        let position = Int.random(in: 0..<bytes.count, using: &rng)
        let label: String
        switch iteration % 6 {
        case 0:
            let flips = Int.random(in: 1...4, using: &rng)
            for _ in 0..<flips {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            }
            label = "flip \(flips) bits"
        case 1:
            let length = min(Int.random(in: 1...16, using: &rng), bytes.count - position)
            bytes.removeSubrange(position..<position + length)
            label = "delete \(length) at \(position)"
        case 2:
            let length = min(Int.random(in: 1...32, using: &rng), bytes.count - position)
            bytes.insert(contentsOf: bytes[position..<position + length], at: position)
            label = "duplicate \(length) at \(position)"
        case 3:
            let token = interesting[Int.random(in: 0..<interesting.count, using: &rng)]
            bytes.insert(contentsOf: token, at: position)
            label = "insert \(token) at \(position)"
        case 4:
            let token = interesting[Int.random(in: 0..<interesting.count, using: &rng)]
            bytes.replaceSubrange(position..<min(bytes.count, position + token.count), with: token)
            label = "overwrite \(token) at \(position)"
        default:
            bytes = Array(bytes[..<position])
            label = "truncate at \(position)"
        }
        result.append((label, bytes))
    }
    return result
}

/// A JSON writer that can put a raw literal (`1e400`, `-1`, …) where `JSONValue` cannot hold one.
private func render(_ value: JSONValue, path: [String] = [], replacing target: [String], with literal: String) -> String {
    if path == target { return literal }
    func quote(_ s: String) -> String { String(decoding: try! JSONEncoder().encode(s), as: UTF8.self) }
    switch value {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .double(let d): return "\(d)"
    case .string(let s): return quote(s)
    case .array(let items):
        return "[" + items.enumerated().map { render($1, path: path + [String($0)], replacing: target, with: literal) }.joined(separator: ",") + "]"
    case .object(let object):
        return "{" + object.keys.sorted().map { quote($0) + ":" + render(object[$0]!, path: path + [$0], replacing: target, with: literal) }
            .joined(separator: ",") + "}"
    }
}

/// Every path of a JSON tree (object keys and array indices), root excluded.
private func paths(of value: JSONValue, prefix: [String] = []) -> [[String]] {
    switch value {
    case .array(let items): return items.indices.flatMap { [prefix + [String($0)]] + paths(of: items[$0], prefix: prefix + [String($0)]) }
    case .object(let object): return object.keys.sorted().flatMap { [prefix + [$0]] + paths(of: object[$0]!, prefix: prefix + [$0]) }
    default: return []
    }
}

@Suite("Fuzz: OCI documents")
struct FuzzOCIDocumentTests {
    @Test func validFixturesDecodeToTheExpectedValues() throws {
        let list = try RawManifest(bytes: Array(FuzzFixture.dockerList.utf8))
        #expect(list.mediaType == MediaType.dockerManifestList)
        let listIndex = try list.decodeIndex()
        #expect(listIndex.manifests.map(\.size) == [1570, 1571])
        #expect(listIndex.child(for: Platform(os: "linux", architecture: "arm64", variant: "v8"))?.digest.description == FuzzFixture.armDigest)

        let index = try RawManifest(bytes: Array(FuzzFixture.ociIndex.utf8)).decodeIndex()
        #expect(index.manifests.first?.platform?.osFeatures == ["sse4"])
        #expect(index.annotations?["org.opencontainers.image.ref.name"] == "latest")

        let oci = try RawManifest(bytes: Array(FuzzFixture.ociManifest.utf8))
        #expect(oci.mediaType == MediaType.ociManifest)
        let manifest = try oci.decodeManifest()
        #expect(manifest.config.size == 7023 && manifest.layers.map(\.size) == [32654])
        #expect(!manifest.isDockerFlavour)

        let docker = try RawManifest(bytes: Array(FuzzFixture.dockerManifest.utf8)).decodeManifest()
        #expect(docker.isDockerFlavour && docker.layers.map(\.size) == [32654, 0])

        let config = try ImageConfig.decode(Array(FuzzFixture.config.utf8))
        #expect(config.platform == Platform(os: "linux", architecture: "arm64", variant: "v8"))
        #expect(config.config?.Env == ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"])
        #expect(config.config?.Entrypoint == ["/lambda-entrypoint.sh"])
        #expect(config.history?.count == 3 && config.history?[1].empty_layer == true)
        #expect(config.rootfs?.diff_ids.map(\.description) == [FuzzFixture.amd64Digest, FuzzFixture.armDigest])

        var editor = try ConfigEditor(bytes: Array(FuzzFixture.config.utf8))
        editor.setEnv("LANG", "en_US.UTF-8")
        let edited = try ConfigEditor(bytes: try editor.encoded())
        #expect(edited.document["config"]?["Env"] == .array([.string("PATH=/usr/bin:/bin"), .string("LANG=en_US.UTF-8")]))
        // Unmodelled fields survive, numbers included.
        #expect(edited.document["unmodelled"]?["weights"] == .array([.double(1.5), .int(-2), .double(1e22), .double(0.1)]))

        // Each fixture is accepted by the parsers meant for it.
        for (name, json) in FuzzFixture.documents {
            #expect(exerciseDocumentParsers(Array(json.utf8)) >= 3, "\(name)")
        }
    }

    @Test(arguments: FuzzFixture.documents.indices)
    func randomMutationsNeverTrap(_ fixture: Int) {
        let original = Array(FuzzFixture.documents[fixture].json.utf8)
        var rejected = 0
        for (_, bytes) in mutations(of: original, seed: 0x5eed_0000 + UInt64(fixture), count: 600) {
            if exerciseDocumentParsers(bytes) == 0 { rejected += 1 }
        }
        // Real work happened: many mutations break the JSON, not all of them.
        #expect(rejected > 50 && rejected < 600, "rejected \(rejected)")
    }

    /// The linear parser behind `JSONValue(parsing:)` must read exactly what JSONDecoder reads.
    @Test(arguments: FuzzFixture.documents.indices)
    func linearParserAgreesWithJSONDecoder(_ fixture: Int) throws {
        let original = Array(FuzzFixture.documents[fixture].json.utf8)
        var agreed = 0, accepted = 0
        for (label, bytes) in mutations(of: original, seed: 0xd1ff_0000 + UInt64(fixture), count: 600) + [("original", original)] {
            let parsed = try? JSONValue(parsing: bytes)
            #expect(parsed == referenceJSONValue(bytes), "\(label): \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            if parsed == referenceJSONValue(bytes) { agreed += 1 }
            if parsed != nil { accepted += 1 }
            // The typed config decoder agrees on valid JSON; it refuses invalid JSON anywhere (the
            // reference only looks at the fields it decodes).
            let typed = try? ImageConfig.decode(bytes)
            if parsed != nil {
                #expect(typed == (try? JSONDecoder().decode(ImageConfig.self, from: Data(bytes + [0x20]))), "\(label)")
            } else {
                #expect(typed == nil, "\(label)")
            }
        }
        #expect(agreed == 601 && accepted > 100, "accepted \(accepted)")
    }

    static let numberLiterals = [
        "0", "-0", "1", "-1", "5.0", "-0.0", "1.5", "0.1", "1e3", "1E3", "1e+3", "1e-2", "100e-2", "1.5e1", "0.5e1", "2e0",
        "1e18", "1e19", "1e-400", "0.1e-999", "0e400", "1e400", "-1e400", "1.8e308", "1.7976931348623157e308", "5e-324", "1e-320",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "9.223372036854775807e18",
        "123456789012345678.0", "9007199254740993.0", "9007199254740993", "1.0000000000000000000001", "99999999999999999999.0",
        "9999999999999999999999", "1e0000000000000000000001", "01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "1_000",
        "Infinity", "NaN", "1.0e-7", "123456789.000", "-1.000e2", "-9223372036854775809.0", "9223372036854775808.0",
        "1.5e300", "0.0000000000000000000001e22", "10000000000000000000000e-22",
    ]

    // Not matched, deliberately: JSONDecoder reads "-9223372036854775808.0" as a Double but
    // "-9223372036854775807.0" as an Int64; the parser reads both as Int64s.
    @Test(arguments: numberLiterals)
    func numbersReadAsJSONDecoderReadsThem(_ literal: String) {
        for json in [literal, "[\(literal)]", #"{"n":\#(literal)}"#] {
            let bytes = Array(json.utf8)
            #expect((try? JSONValue(parsing: bytes)) == referenceJSONValue(bytes), "\(json)")
        }
    }

    @Test(arguments: [
        #""\u00e9\u00E9""#, #""\ud83d\ude80""#, #""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#, #""\ud800\ud800""#, #""\/\b\f\n\r\t""#,
        #""\x""#, #""\u12""#, #""\u12g4""#, "\"a\tb\"", "\"\u{7f}\"", "\"\u{0}\"", #""\u0000""#, "\u{feff}{}", "\u{feff}\u{feff}{}",
        "{} \u{0}", "[1,]", "[1,,2]", "[,]", "{,}", #"{"a":1,}"#, #"{"a":1,"a":2}"#, "\u{c}{}", "{}\u{a0}", "tru", "nulll", "[true false]",
        #"{"a" 1}"#, #"{1:2}"#, "[1 2]", "", " ", "\n[\r\n]\t", "\"unterminated", "[\"a\"", #"{"a":"#, "é", "\"é\"",
    ])
    func stringsAndSyntaxReadAsJSONDecoderReadsThem(_ json: String) {
        let bytes = Array(json.utf8)
        #expect((try? JSONValue(parsing: bytes)) == referenceJSONValue(bytes), "\(json.debugDescription)")
    }

    @Test func hostileShapesParseInLinearTime() throws {
        let clock = ContinuousClock()
        // Each of these took JSONDecoder-through-Decodable seconds to hours.
        let chain = String(repeating: "[", count: 250) + String(repeating: "]", count: 250)
        let nestedArrays = "[" + Array(repeating: chain, count: 400).joined(separator: ",") + "]"
        let deepStrings = String(repeating: "[", count: 250) + Array(repeating: #""s""#, count: 20_000).joined(separator: ",") + String(repeating: "]", count: 250)
        let config = #"{"architecture":"amd64","os":"linux","config":{"Env":["A=b"],"Volumes":{"/v":"# + deepStrings
            + #"},"ExposedPorts":{"80/tcp":{}}},"rootfs":{"type":"layers","diff_ids":[]}}"#
        let elapsed = try clock.measure {
            #expect(try JSONValue(parsing: Array(nestedArrays.utf8)).arrayValue?.count == 400)
            let raw = try RawManifest(bytes: Array((#"{"manifests":[],"x":"# + deepStrings + "}").utf8), declaredType: MediaType.ociIndex)
            #expect(raw.mediaType == MediaType.ociIndex)
            let decoded = try ImageConfig.decode(Array(config.utf8))
            #expect(decoded.config?.Env == ["A=b"] && decoded.config?.ExposedPorts == ["80/tcp": .object([:])])
            var volume = decoded.config?.Volumes?["/v"]
            var depth = 0
            while case .array(let items)? = volume, depth < 1000 { depth += 1; volume = items.count == 1 ? items.first : nil }
            #expect(depth == 250)
            var editor = try ConfigEditor(bytes: Array(config.utf8))
            editor.setEnv("B", "c")
            #expect(try ConfigEditor(bytes: try editor.encoded()).document["config"]?["Env"]?.arrayValue?.count == 2)
        }
        #expect(elapsed < .seconds(5), "\(elapsed)")
    }

    @Test func freeFormConfigMapsKeepJSONDecoderSemantics() throws {
        let base = #"{"config":{"Env":["A=1"],"ExposedPorts":X}}"#
        for (value, expected) in [("null", nil), (#"{"80/tcp":{},"53/udp":{"x":[1,2.5,"s",null,true]}}"#,
                                                  ["80/tcp": JSONValue.object([:]), "53/udp": .object(["x": .array([.int(1), .double(2.5), .string("s"), .null, .bool(true)])])])]
                as [(String, [String: JSONValue]?)] {
            let config = try ImageConfig.decode(Array(base.replacingOccurrences(of: "X", with: value).utf8))
            #expect(config.config?.ExposedPorts == expected)
            #expect(config.config?.Env == ["A=1"])
        }
        for value in ["[]", "1", #""s""#, "true"] {
            let bytes = Array(base.replacingOccurrences(of: "X", with: value).utf8)
            #expect(throws: DecodingError.self) { try ImageConfig.decode(bytes) }
            #expect((try? JSONDecoder().decode(ImageConfig.self, from: Data(bytes))) == nil)
        }
        #expect(try ImageConfig.decode(Array(#"{"config":null}"#.utf8)).config == nil)
        #expect(throws: DecodingError.self) { try ImageConfig.decode(Array(#"{"config":5}"#.utf8)) }
    }

    @Test(arguments: FuzzFixture.documents.indices)
    func everyTruncationIsRejectedAsNotJSON(_ fixture: Int) {
        let original = Array(FuzzFixture.documents[fixture].json.utf8)
        for length in stride(from: 0, to: original.count - 1, by: 7) {
            let prefix = Array(original[..<length])
            exerciseDocumentParsers(prefix)
            // A document cut short is never a manifest (the closing brace is the last byte).
            do {
                _ = try RawManifest(bytes: prefix)
                Issue.record("truncation at \(length) accepted")
            } catch {
                guard case .notJSON = error else { Issue.record("truncation at \(length): \(error)"); continue }
            }
        }
    }

    /// Swaps every value of every fixture for every other JSON type and for numbers no Int64 holds.
    @Test(arguments: FuzzFixture.documents.indices)
    func swappedValueTypesNeverTrap(_ fixture: Int) throws {
        let document = try UntrustedJSON.decode(JSONValue.self, from: FuzzFixture.documents[fixture].json.utf8)
        let literals = [#""s""#, "42", "null", "true", "[]", "{}", "[[[]]]", #"{"a":{}}"#, "1e400", "-1e400",
                        "9999999999999999999999", "-9223372036854775809", "-1", "1.5", "0", #""\u0000""#, #""\ud800""#]
        var checked = 0
        for path in paths(of: document) {
            for literal in literals {
                exerciseDocumentParsers(Array(render(document, replacing: path, with: literal).utf8))
                checked += 1
            }
        }
        #expect(checked > 100)
        // The renderer itself is faithful: rendering with no replacement gives the same document.
        let same = render(document, replacing: ["\u{0}none"], with: "")
        #expect(try UntrustedJSON.decode(JSONValue.self, from: same.utf8) == document)
    }

    struct SizeCase: Sendable, CustomTestStringConvertible {
        let literal: String
        let accepted: Int64?
        var testDescription: String { literal }
    }

    /// A size must be a non-negative integer that fits Int64: anything else is an error, not a
    /// wrapped, truncated or trapping value.
    static let sizeCases: [SizeCase] = [
        .init(literal: "0", accepted: 0), .init(literal: "7023", accepted: 7023),
        .init(literal: "9223372036854775807", accepted: .max),
        .init(literal: "-1", accepted: nil), .init(literal: "-9223372036854775808", accepted: nil),
        .init(literal: "9223372036854775808", accepted: nil), .init(literal: "9999999999999999999999", accepted: nil),
        .init(literal: "18446744073709551616", accepted: nil), .init(literal: "1e400", accepted: nil),
        .init(literal: "-1e400", accepted: nil), .init(literal: "1.5", accepted: nil), .init(literal: "-0.5", accepted: nil),
        .init(literal: #""7023""#, accepted: nil), .init(literal: "null", accepted: nil), .init(literal: "true", accepted: nil),
        .init(literal: "[]", accepted: nil), .init(literal: "{}", accepted: nil),
    ]

    @Test(arguments: sizeCases)
    func sizesMustFitInt64AndNotBeNegative(_ c: SizeCase) throws {
        let manifest = try UntrustedJSON.decode(JSONValue.self, from: FuzzFixture.ociManifest.utf8)
        let index = try UntrustedJSON.decode(JSONValue.self, from: FuzzFixture.ociIndex.utf8)
        let variants: [(String, Bool)] = [
            (render(manifest, replacing: ["config", "size"], with: c.literal), false),
            (render(manifest, replacing: ["layers", "0", "size"], with: c.literal), false),
            (render(index, replacing: ["manifests", "0", "size"], with: c.literal), true),
        ]
        for (json, isIndex) in variants {
            let bytes = Array(json.utf8)
            let sizes: [Int64]?
            if isIndex {
                sizes = (try? UntrustedJSON.decode(ImageIndex.self, from: bytes))?.manifests.map(\.size)
            } else {
                sizes = (try? UntrustedJSON.decode(ImageManifest.self, from: bytes)).map { [$0.config.size] + $0.layers.map(\.size) }
            }
            if let accepted = c.accepted {
                #expect(sizes?.contains(accepted) == true, "\(json)")
            } else {
                #expect(sizes == nil, "accepted size \(c.literal): \(sizes ?? [])")
            }
            exerciseDocumentParsers(bytes)
        }
    }

    @Test func descriptorWithNegativeSizeIsADecodingError() {
        let json = #"{"mediaType":"x","digest":"\#(FuzzFixture.layerDigest)","size":-5}"#
        #expect(throws: DecodingError.self) { try UntrustedJSON.decode(Descriptor.self, from: json.utf8) }
        // Encoding is unchanged: optional fields stay absent.
        let descriptor = Descriptor(mediaType: "x", digest: try! Digest(FuzzFixture.layerDigest), size: 5)
        let encoded = String(decoding: try! CanonicalJSON.encode(descriptor), as: UTF8.self)
        #expect(encoded == #"{"digest":"\#(FuzzFixture.layerDigest)","mediaType":"x","size":5}"#)
        #expect((try? UntrustedJSON.decode(Descriptor.self, from: encoded.utf8)) == descriptor)
    }

    @Test(arguments: [100_000, 2_000, 513])
    func deeplyNestedDocumentsAreRejected(_ depth: Int) {
        let inputs = [
            String(repeating: "[", count: depth),
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth),
            String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth),
            #"{"schemaVersion":2,"manifests":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}",
        ]
        for input in inputs {
            let bytes = Array(input.utf8)
            #expect(exerciseDocumentParsers(bytes) == 0)
            #expect(throws: RawManifest.ParseError.self) { try RawManifest(bytes: bytes) }
        }
    }

    /// Foundation's JSONDecoder traps (instead of throwing) when a `[` one level past its nesting
    /// limit of 512 is the last byte of the input; `UntrustedJSON` keeps that a thrown error.
    @Test(arguments: [
        String(repeating: "[", count: 513),
        #"{"manifests":"# + String(repeating: "[", count: 512),
        String(repeating: #"{"a":["#, count: 256) + "[",
        #"{"config":{"Env":"# + String(repeating: "[", count: 511),
    ])
    func nestingLimitOnTheLastByteIsAnError(_ json: String) {
        let bytes = Array(json.utf8)
        #expect(throws: DecodingError.self) { try UntrustedJSON.decode(JSONValue.self, from: bytes) }
        #expect(throws: (any Error).self) { try ImageConfig.decode(bytes) }
        #expect(throws: (any Error).self) { try ConfigEditor(bytes: bytes) }
        do { _ = try RawManifest(bytes: bytes); Issue.record("accepted") } catch {
            guard case .notJSON = error else { Issue.record("\(error)"); return }
            #expect(!error.description.contains("\n"))
        }
        // One level less is still refused cleanly; typed decoding (JSONDecoder) is refused too.
        #expect(throws: DecodingError.self) { try UntrustedJSON.decode(JSONValue.self, from: bytes.dropLast()) }
        #expect(throws: DecodingError.self) { try UntrustedJSON.decode([String: [String]].self, from: bytes) }
    }

    /// A JSONValue nests at most 256 levels (JSONEncoder cannot write 512 back); anything parsed
    /// can be written out again, as ConfigEditor and ImageConfig.decode do.
    @Test(arguments: [255, 256, 257, 511, 512])
    func parsedValuesCanBeWrittenBack(_ depth: Int) throws {
        let json = #"{"config":{},"x":"# + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}"
        let bytes = Array(json.utf8)
        if depth <= 256 {
            var editor = try ConfigEditor(bytes: bytes)
            editor.setEnv("A", "b")
            #expect(try JSONValue(parsing: try editor.encoded()) == editor.document)
            #expect(try ImageConfig.decode(bytes).config?.Env == nil)
            #expect(try RawManifest(bytes: bytes, declaredType: MediaType.ociManifest).mediaType == MediaType.ociManifest)
        } else {
            #expect(throws: DecodingError.self) { try JSONValue(parsing: bytes) }
            #expect(throws: DecodingError.self) { try ConfigEditor(bytes: bytes) }
            #expect(throws: DecodingError.self) { try ImageConfig.decode(bytes) }
            #expect(throws: RawManifest.ParseError.self) { try RawManifest(bytes: bytes, declaredType: MediaType.ociManifest) }
        }
    }

    @Test func moderatelyNestedValuesStillDecode() throws {
        let depth = 100
        let json = #"{"config":{"Env":[]},"deep":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        var editor = try ConfigEditor(bytes: Array(json.utf8))
        editor.setEnv("A", "b")
        let reread = try ConfigEditor(bytes: try editor.encoded())
        #expect(reread.document["config"]?["Env"] == .array([.string("A=b")]))
        var depthSeen = 0
        var value = reread.document["deep"]
        while case .array(let items)? = value { depthSeen += 1; value = items.first }
        #expect(depthSeen == depth)
    }

    @Test(arguments: [
        [UInt8](), [0x20], [0xff, 0xfe], [0xef, 0xbb, 0xbf], Array("{}".utf8), Array("null".utf8),
        Array(#"{"mediaType":""#.utf8) + [0xff, 0xfe] + Array(#""}"#.utf8),
        Array(#"{"schemaVersion":2,"manifests":[],"x":""#.utf8) + [0xc3, 0x28] + Array(#""}"#.utf8),
        Array(#"{"schemaVersion":2,"manifests":[],"x":""#.utf8) + [0xed, 0xa0, 0x80] + Array(#""}"#.utf8),
        Array(#"{"schemaVersion":1e400,"manifests":[]}"#.utf8),
        Array(#"{"schemaVersion":9999999999999999999999}"#.utf8),
        Array(#"{"schemaVersion":2,"manifests":[],"mediaType":null}"#.utf8),
        Array(#"{"schemaVersion":2,"manifests":{},"config":[]}"#.utf8),
    ])
    func hostileDocumentsAreNotManifests(_ bytes: [UInt8]) {
        exerciseDocumentParsers(bytes)
        #expect(throws: RawManifest.ParseError.self) { try RawManifest(bytes: bytes) }
        // None has a config: never a manifest. (ImageIndex may decode: unknown keys are skipped
        // unchecked, and RawManifest is what vets a document.)
        #expect((try? UntrustedJSON.decode(ImageManifest.self, from: bytes)) == nil)
    }

    @Test func configEditorRejectsNonObjectsAndSurvivesOddShapes() throws {
        for json in ["[]", "1", "\"x\"", "null", "true"] {
            #expect(throws: (any Error).self) { try ConfigEditor(bytes: Array(json.utf8)) }
        }
        // "config" or "Env" of the wrong type: the editor replaces it rather than trapping.
        for json in [#"{"config":5}"#, #"{"config":{"Env":"PATH=x"}}"#, #"{"config":{"Env":[1,null,{}]}}"#,
                     #"{"rootfs":[],"history":{}}"#, #"{"rootfs":{"diff_ids":"x"}}"#] {
            var editor = try ConfigEditor(bytes: Array(json.utf8))
            editor.setEnv("K", "v")
            editor.appendLayer(diffID: try Digest(FuzzFixture.layerDigest), history: .init(created_by: "x"))
            let document = try ConfigEditor(bytes: try editor.encoded()).document
            #expect(document["config"]?["Env"]?.arrayValue?.last == .string("K=v"), "\(json)")
            #expect(document["rootfs"]?["diff_ids"]?.arrayValue?.last == .string(FuzzFixture.layerDigest), "\(json)")
            #expect(document["history"]?.arrayValue?.count == 1, "\(json)")
        }
    }
}

@Suite("Fuzz: OCI names")
struct FuzzOCINameTests {
    static let alphabet: [String] = ["a", "z", "0", "9", "A", "Z", "f", "-", "_", ".", "..", "__", ":", "/", "//", "@", "[", "]",
                                     "::1", "sha256", "sha256:", "localhost", "docker.io", ":5000", " ", "\n", "\u{0}", "\u{1b}[31m",
                                     "é", "e\u{301}", "\u{301}", "İ", "\u{212a}", "🚀", "\u{2028}", "\u{ff21}", "٣", "x86_64", "v7"]

    fileprivate static func randomString(_ rng: inout SeededGenerator, maxParts: Int = 12) -> String {
        (0..<Int.random(in: 0...maxParts, using: &rng)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }.joined()
    }

    static let validReferences = [
        "alpine", "library/alpine:3.20", "ghcr.io/org/app:v1.2.3", "localhost:5000/a/b",
        "[::1]:5000/x@sha256:" + String(repeating: "a", count: 64), "public.ecr.aws/sam/build-python3.12:latest-x86_64",
        "index.docker.io/library/busybox:1", "registry.example.com:443/a__b/c.d/e-f:tag_1",
    ]

    @Test func digestsParseExactlyOrThrow() {
        var rng = SeededGenerator(seed: 0xd16e57)
        let hex = String(repeating: "0123456789abcdef", count: 4)
        #expect((try? Digest("sha256:" + hex))?.hex == hex)
        var accepted = 0
        for _ in 0..<3000 {
            var candidate = "sha256:" + hex
            var scalars = Array(candidate.unicodeScalars)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: scalars[Int.random(in: 0..<scalars.count, using: &rng)] = Self.alphabet.randomElement(using: &rng)!.unicodeScalars.first ?? "x"
            case 1: scalars.removeSubrange(Int.random(in: 0..<scalars.count, using: &rng)...)
            case 2: scalars.insert(contentsOf: Self.randomString(&rng, maxParts: 2).unicodeScalars, at: Int.random(in: 0...scalars.count, using: &rng))
            default: scalars = Array(Self.randomString(&rng).unicodeScalars)
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            candidate = String(view)
            do {
                let digest = try Digest(candidate)
                accepted += 1
                #expect(digest.description == candidate)
                #expect(digest.hex.utf8.count == 64 && digest.hex.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            } catch {
                #expect(!error.description.contains("\n") && !error.description.contains("\u{1b}"), "\(error.description.debugDescription)")
            }
        }
        #expect(accepted > 0 && accepted < 3000)
    }

    @Test(arguments: [
        "", ":", "sha256", "sha256:", "sha256:" + String(repeating: "a", count: 63), "sha256:" + String(repeating: "a", count: 65),
        "sha256:" + String(repeating: "A", count: 64), "SHA256:" + String(repeating: "a", count: 64),
        "sha256:" + String(repeating: "a", count: 63) + "\u{301}", "sha256:" + String(repeating: "\u{ff41}", count: 64),
        "sha256:" + String(repeating: "a", count: 63) + "\u{0}", " sha256:" + String(repeating: "a", count: 64),
        "sha512:" + String(repeating: "a", count: 128), "md5:x", "sha256\u{301}:" + String(repeating: "a", count: 64),
        "\n:" + String(repeating: "a", count: 64),
    ])
    func hostileDigestsAreRejected(_ input: String) {
        #expect(throws: Digest.ParseError.self) { try Digest(input) }
        #expect((try? JSONDecoder().decode(Digest.self, from: Data(try! JSONEncoder().encode(input)))) == nil)
    }

    @Test func referencesParseOrThrowAndRoundTrip() {
        for text in Self.validReferences {
            #expect((try? Reference(parsing: text)) != nil, "\(text)")
        }
        var rng = SeededGenerator(seed: 0x2ef)
        var accepted = 0
        for iteration in 0..<4000 {
            var text: String
            if iteration % 2 == 0 {
                text = Self.randomString(&rng)
            } else {
                var scalars = Array(Self.validReferences.randomElement(using: &rng)!.unicodeScalars)
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let at = Int.random(in: 0...scalars.count, using: &rng)
                    let insert = Array(Self.alphabet.randomElement(using: &rng)!.unicodeScalars)
                    if Bool.random(using: &rng), at < scalars.count { scalars.remove(at: at) } else { scalars.insert(contentsOf: insert, at: at) }
                }
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars)
                text = String(view)
            }
            do {
                let reference = try Reference(parsing: text)
                accepted += 1
                #expect(!reference.repository.isEmpty)
                #expect(reference.repository.utf8.allSatisfy { $0 < 0x80 && !(0x41...0x5a).contains($0) }, "\(text.debugDescription)")
                #expect(reference.tag != nil || reference.digest != nil)
                // Its own rendering names the same image.
                #expect((try? Reference(parsing: reference.description)) == reference, "\(text.debugDescription) → \(reference)")
            } catch {
                #expect(!error.description.contains("\n") && !error.description.contains("\u{1b}") && !error.description.contains("\u{2028}"),
                        "\(error.description.debugDescription)")
            }
        }
        #expect(accepted > 50, "accepted \(accepted)")
    }

    @Test(arguments: [
        "", "/", "//", ":", "@", "a@", "a:", "a:@", ":tag", "@sha256:", "UPPER", "a/B", "a//b", "a/", "/a", "-a", "a-", "a..b",
        "a___b", "host:99999/a", "host:0/a", "host:-1/a", "[::1/a", "[]:5000/a", "[::g]/a", "ho_st.com/a",
        "a:" + String(repeating: "t", count: 129), String(repeating: "a", count: 64 * 1), "a\u{0}b", "a\nb", "é", "a/e\u{301}",
        "a:b:c", "a@sha256:" + String(repeating: "a", count: 64) + "@x",
        "h.com/" + String(repeating: "a", count: 300), String(repeating: "a/", count: 200) + "a",
        "localhost:" + String(repeating: "9", count: 30) + "/a",
    ])
    func hostileReferencesAreRejected(_ input: String) {
        #expect(throws: Reference.ParseError.self) { try Reference(parsing: input) }
        do { _ = try Reference(parsing: input) } catch {
            #expect(!error.description.contains("\n") && !error.description.contains("\u{0}"), "\(error.description.debugDescription)")
        }
    }

    @Test func platformsParseOrThrowAndAreStable() throws {
        #expect(try Platform(parsing: "Linux/X86_64") == Platform(os: "linux", architecture: "amd64"))
        #expect(try Platform(parsing: "linux/armhf") == Platform(os: "linux", architecture: "arm", variant: "v7"))
        var rng = SeededGenerator(seed: 0x91a7)
        let pieces = ["linux", "windows", "amd64", "arm", "arm64", "7", "v8", "armhf", "aarch64", "x86_64", "i386", "AMD64", "8", "v",
                      "", "/", "İ", "\u{212a}", "٣", "🚀", "\u{0}", "a b", "e\u{301}", "\u{301}", ".", "_", "-"]
        var accepted = 0
        for _ in 0..<3000 {
            // 1-4 components of 1-2 pieces each, "/"-separated.
            let text = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                (0..<Int.random(in: 1...2, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            }.joined(separator: "/")
            do {
                let platform = try Platform(parsing: text)
                accepted += 1
                // Normalization is idempotent: the rendering parses back to the same platform.
                #expect((try? Platform(parsing: platform.description)) == platform, "\(text.debugDescription)")
                #expect(platform.satisfies(platform))
            } catch {
                #expect(!error.description.contains("\n") && !error.description.contains("\u{0}"))
            }
        }
        #expect(accepted > 100 && accepted < 3000, "accepted \(accepted)")
        for text in ["", "linux", "linux/", "/amd64", "linux/amd64/v8/x", "linux/amd 64", "linux/am\u{0}d64", "linux/ａｍｄ64", "linux/\u{301}"] {
            #expect(throws: Platform.ParseError.self) { try Platform(parsing: text) }
        }
    }

    @Test func platformSatisfactionIsTotal() {
        let values: [String?] = [nil, "", "v7", "7", "V8", "8", "é", "\u{0}"]
        let arches = ["amd64", "x86_64", "arm", "armhf", "arm64", "aarch64", "", "İ"]
        var matches = 0
        for arch in arches {
            for variant in values {
                let platform = Platform(os: "linux", architecture: arch, variant: variant)
                for wanted in arches {
                    if platform.satisfies(Platform(os: "LINUX", architecture: wanted, variant: variant)) { matches += 1 }
                }
            }
        }
        #expect(matches > 0)
        #expect(Platform(os: "linux", architecture: "arm64").satisfies(Platform(os: "linux", architecture: "aarch64", variant: "8")))
        #expect(!Platform(os: "linux", architecture: "arm", variant: "v6").satisfies(Platform(os: "linux", architecture: "arm", variant: "7")))
    }

    @Test func mediaTypeClassificationIsTotal() {
        var rng = SeededGenerator(seed: 0x3ed1a)
        for _ in 0..<1000 {
            let text = Self.randomString(&rng) + ["", "+gzip", ".gzip", "+zstd", ".gz", "+json"].randomElement(using: &rng)!
            let compression = MediaType.layerCompression(text)
            if text.hasSuffix("+zstd") { #expect(compression == .zstd) }
            if text.hasSuffix("+gzip") || text.hasSuffix(".gz") { #expect(compression == .gzip) }
            _ = MediaType.isIndex(text) || MediaType.isManifest(text) || MediaType.isDocker(text)
        }
        #expect(MediaType.layerCompression(MediaType.dockerLayerGzip) == .gzip)
        #expect(MediaType.layerCompression(MediaType.ociLayer) == .none)
        #expect(MediaType.layerCompression("") == .none)
        #expect(!MediaType.isIndex(MediaType.ociIndex + " ") && !MediaType.isManifest(MediaType.ociManifest.uppercased()))
    }
}
