import Foundation
import Testing
@testable import OCI

private let configDigest = "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"
private let layerDigest = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
private let childDigest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

let dockerManifestJSON = """
{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7023,
      "digest": "\(configDigest)"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 32654,
         "digest": "\(layerDigest)"
      }
   ]
}
"""

let ociManifestNoMediaTypeJSON = """
{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":7023},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(layerDigest)","size":32654,"annotations":{"org.opencontainers.image.title":"a/b"}}],"annotations":{"x":"y"}}
"""

let ociIndexNoMediaTypeJSON = """
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(childDigest)","size":7143,"platform":{"architecture":"amd64","os":"linux"}}]}
"""

let dockerListJSON = """
{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[
 {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"\(childDigest)","size":529,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
 {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"\(configDigest)","size":529,"platform":{"architecture":"amd64","os":"linux"}}]}
"""

let schema1JSON = """
{"schemaVersion":1,"name":"library/hello","tag":"latest","architecture":"amd64","fsLayers":[{"blobSum":"\(layerDigest)"}],"history":[{"v1Compatibility":"{}"}],"signatures":[]}
"""

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

enum ManifestOutcome: Sendable, Equatable {
    case type(String)
    case notJSON, unknown, schema1, tooLarge
}

struct RawManifestCase: Sendable, CustomTestStringConvertible {
    let name: String
    let json: String
    let declared: String?
    let outcome: ManifestOutcome
    var testDescription: String { name }
}

let rawManifestCases: [RawManifestCase] = [
    .init(name: "docker manifest, type from document", json: dockerManifestJSON, declared: nil, outcome: .type(MediaType.dockerManifest)),
    .init(name: "document wins over declared type", json: dockerManifestJSON, declared: MediaType.ociManifest, outcome: .type(MediaType.dockerManifest)),
    .init(name: "docker list", json: dockerListJSON, declared: "application/vnd.docker.distribution.manifest.list.v2+json", outcome: .type(MediaType.dockerManifestList)),
    .init(name: "OCI manifest without mediaType, inferred from config", json: ociManifestNoMediaTypeJSON, declared: nil, outcome: .type(MediaType.ociManifest)),
    .init(name: "OCI manifest without mediaType, application/json", json: ociManifestNoMediaTypeJSON, declared: "application/json", outcome: .type(MediaType.ociManifest)),
    .init(name: "OCI manifest without mediaType, octet-stream", json: ociManifestNoMediaTypeJSON, declared: "application/octet-stream", outcome: .type(MediaType.ociManifest)),
    .init(name: "OCI manifest, declared with charset", json: ociManifestNoMediaTypeJSON, declared: "application/vnd.oci.image.manifest.v1+json; charset=utf-8", outcome: .type(MediaType.ociManifest)),
    .init(name: "manifest without mediaType, declared docker manifest", json: ociManifestNoMediaTypeJSON, declared: "application/vnd.docker.distribution.manifest.v2+json;charset=UTF-8", outcome: .type(MediaType.dockerManifest)),
    .init(name: "declared type case-insensitive", json: ociManifestNoMediaTypeJSON, declared: "Application/VND.OCI.Image.Manifest.V1+JSON", outcome: .type(MediaType.ociManifest)),
    .init(name: "shape beats a contradicting declared type", json: ociIndexNoMediaTypeJSON, declared: MediaType.ociManifest, outcome: .type(MediaType.ociIndex)),
    .init(name: "index without mediaType", json: ociIndexNoMediaTypeJSON, declared: nil, outcome: .type(MediaType.ociIndex)),
    .init(name: "index without mediaType, declared with params", json: ociIndexNoMediaTypeJSON, declared: " application/vnd.oci.image.index.v1+json ; charset=utf-8", outcome: .type(MediaType.ociIndex)),
    .init(name: "empty index", json: #"{"schemaVersion":2,"manifests":[]}"#, declared: nil, outcome: .type(MediaType.ociIndex)),
    .init(name: "schema1", json: schema1JSON, declared: nil, outcome: .schema1),
    .init(name: "schema1 with its content type", json: schema1JSON, declared: "application/vnd.docker.distribution.manifest.v1+prettyjws", outcome: .schema1),
    .init(name: "schema1 mislabelled as schema2", json: schema1JSON, declared: MediaType.dockerManifest, outcome: .schema1),
    .init(name: "schema1 content type on unrecognizable body", json: #"{"foo":1}"#, declared: "application/vnd.docker.distribution.manifest.v1+json", outcome: .schema1),
    .init(name: "unknown document mediaType", json: #"{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json","blobs":[]}"#, declared: nil, outcome: .unknown),
    .init(name: "unknown mediaType in document with manifests", json: #"{"schemaVersion":2,"mediaType":"text/plain","manifests":[]}"#, declared: nil, outcome: .unknown),
    .init(name: "non-string mediaType", json: #"{"schemaVersion":2,"mediaType":5,"manifests":[]}"#, declared: nil, outcome: .unknown),
    .init(name: "no hints at all", json: #"{"schemaVersion":2}"#, declared: nil, outcome: .unknown),
    .init(name: "declared type only", json: #"{"schemaVersion":2}"#, declared: MediaType.ociIndex, outcome: .type(MediaType.ociIndex)),
    .init(name: "html error page", json: "<html><body>502 Bad Gateway</body></html>", declared: "text/html", outcome: .notJSON),
    .init(name: "empty body", json: "", declared: nil, outcome: .notJSON),
    .init(name: "truncated JSON", json: String(dockerManifestJSON.dropLast(10)), declared: nil, outcome: .notJSON),
    .init(name: "JSON array", json: "[]", declared: MediaType.ociManifest, outcome: .notJSON),
    .init(name: "JSON string", json: "\"manifest\"", declared: MediaType.ociManifest, outcome: .notJSON),
]

@Suite("RawManifest")
struct RawManifestTests {
    @Test("media type detection", arguments: rawManifestCases)
    func mediaTypeDetection(_ c: RawManifestCase) {
        do {
            let raw = try RawManifest(bytes: bytes(c.json), declaredType: c.declared)
            #expect(c.outcome == .type(raw.mediaType), "got \(raw.mediaType)")
            #expect(raw.bytes == bytes(c.json))
            #expect(raw.digest == Digest.of(bytes(c.json)))
            #expect(raw.isIndex == MediaType.isIndex(raw.mediaType))
        } catch {
            let message = error.description
            #expect(!message.contains("\n"), "\(message.debugDescription)")
            switch (error, c.outcome) {
            case (.notJSON, .notJSON), (.tooLarge, .tooLarge): break
            case (.unknownMediaType, .schema1):
                #expect(message.contains("schema1"), "\(message)")
                #expect(message.contains("not supported"), "\(message)")
            case (.unknownMediaType, .unknown):
                #expect(!message.contains("schema1"), "\(message)")
            default: Issue.record("\(c.name): expected \(c.outcome), got \(error)")
            }
        }
    }

    @Test func tooLarge() {
        let big = [UInt8](repeating: UInt8(ascii: " "), count: RawManifest.maximumSize + 1)
        #expect(throws: RawManifest.ParseError.self) { try RawManifest(bytes: big) }
        do { _ = try RawManifest(bytes: big) } catch {
            guard case .tooLarge(let size) = error else { Issue.record("\(error)"); return }
            #expect(size == RawManifest.maximumSize + 1)
            #expect(error.description.contains("\(RawManifest.maximumSize)"))
        }
        // Exactly at the limit is accepted (padding whitespace after a valid document).
        var atLimit = bytes(ociIndexNoMediaTypeJSON)
        atLimit += [UInt8](repeating: UInt8(ascii: " "), count: RawManifest.maximumSize - atLimit.count)
        #expect((try? RawManifest(bytes: atLimit))?.mediaType == MediaType.ociIndex)
    }

    @Test func notJSONMessageIsReadable() {
        do { _ = try RawManifest(bytes: bytes("<html>")); Issue.record("accepted") } catch {
            #expect(error.description.hasPrefix("manifest is not valid JSON"))
            #expect(!error.description.contains("\n"))
            #expect(error.description.count < 400, "\(error.description)")
        }
    }

    @Test func digestIsOfTheExactBytes() throws {
        let pretty = try RawManifest(bytes: bytes(dockerManifestJSON))
        let compact = try RawManifest(bytes: Array(try CanonicalJSON.encode(try pretty.decodeManifest())))
        let trailingNewline = try RawManifest(bytes: bytes(dockerManifestJSON + "\n"))
        #expect(pretty.digest != compact.digest)
        #expect(pretty.digest != trailingNewline.digest)
        #expect(pretty.digest == Digest.of(bytes(dockerManifestJSON)))
        #expect(trailingNewline.digest == Digest.of(bytes(dockerManifestJSON + "\n")))
        // Same content, same type
        #expect(try pretty.decodeManifest() == compact.decodeManifest())
    }

    @Test func descriptorNamesTheBytes() throws {
        let raw = try RawManifest(bytes: bytes(dockerManifestJSON))
        let descriptor = raw.descriptor(platform: .linuxAMD64)
        #expect(descriptor.mediaType == MediaType.dockerManifest)
        #expect(descriptor.digest == raw.digest)
        #expect(descriptor.size == Int64(dockerManifestJSON.utf8.count))
        #expect(descriptor.platform == .linuxAMD64)
    }

    @Test func decodesManifestAndIndex() throws {
        let manifest = try RawManifest(bytes: bytes(ociManifestNoMediaTypeJSON)).decodeManifest()
        #expect(manifest.mediaType == nil)
        #expect(manifest.isDockerFlavour == false)
        #expect(manifest.config.digest.description == configDigest)
        #expect(manifest.config.size == 7023)
        #expect(manifest.layers.count == 1)
        #expect(manifest.layers[0].annotations?["org.opencontainers.image.title"] == "a/b")
        #expect(manifest.annotations == ["x": "y"])

        let docker = try RawManifest(bytes: bytes(dockerManifestJSON)).decodeManifest()
        #expect(docker.isDockerFlavour)
        #expect(docker.layers[0].mediaType == MediaType.dockerLayerGzip)

        let list = try RawManifest(bytes: bytes(dockerListJSON))
        #expect(list.isIndex)
        let index = try list.decodeIndex()
        #expect(index.manifests.count == 2)
        #expect(index.child(for: .linuxAMD64)?.digest.description == configDigest)
    }

    @Test func flavourFromConfigWhenMediaTypeAbsent() throws {
        let config = Descriptor(mediaType: MediaType.dockerConfig, digest: try Digest(configDigest), size: 1)
        var manifest = ImageManifest(mediaType: MediaType.ociManifest, config: config, layers: [])
        manifest.mediaType = nil
        #expect(manifest.isDockerFlavour)
        manifest.config.mediaType = MediaType.ociConfig
        #expect(!manifest.isDockerFlavour)
        manifest.mediaType = MediaType.dockerManifest
        #expect(manifest.isDockerFlavour)
    }

    @Test func encodingIsCanonical() throws {
        let manifest = ImageManifest(
            mediaType: MediaType.ociManifest,
            config: Descriptor(mediaType: MediaType.ociConfig, digest: try Digest(configDigest), size: 7023),
            layers: [Descriptor(mediaType: MediaType.ociLayerGzip, digest: try Digest(layerDigest), size: 32654,
                                annotations: ["z": "1", "a": "https://example.com/x"])],
            annotations: ["org.opencontainers.image.source": "https://github.com/x/y", "b": "2"])
        let raw = try RawManifest.encoding(manifest, mediaType: MediaType.ociManifest)
        let text = String(decoding: raw.bytes, as: UTF8.self)
        let expected = #"{"annotations":{"b":"2","org.opencontainers.image.source":"https://github.com/x/y"},"config":{"digest":"\#(configDigest)","mediaType":"application/vnd.oci.image.config.v1+json","size":7023},"layers":[{"annotations":{"a":"https://example.com/x","z":"1"},"digest":"\#(layerDigest)","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":32654}],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}"#
        #expect(text == expected)
        #expect(!text.contains("\\/"))
        #expect(raw.mediaType == MediaType.ociManifest)
        #expect(raw.digest == Digest.of(raw.bytes))

        // Stable: same value, same bytes; decoding and re-encoding is a fixed point.
        let again = try RawManifest.encoding(manifest, mediaType: MediaType.ociManifest)
        #expect(again.bytes == raw.bytes)
        let roundTrip = try RawManifest.encoding(try raw.decodeManifest(), mediaType: MediaType.ociManifest)
        #expect(roundTrip.bytes == raw.bytes)
        #expect(roundTrip.digest == raw.digest)
    }

    @Test func encodingAnIndex() throws {
        let index = ImageIndex(mediaType: MediaType.dockerManifestList, manifests: [
            Descriptor(mediaType: MediaType.dockerManifest, digest: try Digest(childDigest), size: 529, platform: .linuxAMD64),
        ])
        let raw = try RawManifest.encoding(index, mediaType: MediaType.dockerManifestList)
        #expect(raw.isIndex)
        #expect(raw.mediaType == MediaType.dockerManifestList)
        #expect(String(decoding: raw.bytes, as: UTF8.self) == #"{"manifests":[{"digest":"\#(childDigest)","mediaType":"application/vnd.docker.distribution.manifest.v2+json","platform":{"architecture":"amd64","os":"linux"},"size":529}],"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","schemaVersion":2}"#)
    }

    @Test func canonicalJSONIsIndependentOfInsertionOrder() throws {
        var a: [String: JSONValue] = [:]
        var b: [String: JSONValue] = [:]
        let keys = (0..<50).map { "key\($0)/x" }
        for key in keys { a[key] = .string(key) }
        for key in keys.reversed() { b[key] = .string(key) }
        let ea = try CanonicalJSON.encode(JSONValue.object(a))
        let eb = try CanonicalJSON.encode(JSONValue.object(b))
        #expect(ea == eb)
        #expect(!String(decoding: ea, as: UTF8.self).contains("\\/"))
        #expect(String(decoding: try CanonicalJSON.encode(["é": "ü", "<": ">&"]), as: UTF8.self) == #"{"<":">&","é":"ü"}"#)
    }
}

@Suite("MediaType and Descriptor")
struct MediaTypeTests {
    @Test("classification", arguments: [
        (MediaType.ociIndex, true, false, false),
        (MediaType.dockerManifestList, true, false, true),
        (MediaType.ociManifest, false, true, false),
        (MediaType.dockerManifest, false, true, true),
        (MediaType.ociConfig, false, false, false),
        (MediaType.dockerConfig, false, false, true),
        ("application/json", false, false, false),
    ])
    func classification(_ type: String, _ index: Bool, _ manifest: Bool, _ docker: Bool) {
        #expect(MediaType.isIndex(type) == index)
        #expect(MediaType.isManifest(type) == manifest)
        #expect(MediaType.isDocker(type) == docker)
    }

    @Test func acceptListsAllFour() {
        #expect(Set(MediaType.manifestAccept) == [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest])
    }

    @Test("layer compression", arguments: [
        (MediaType.ociLayer, MediaType.Compression.none),
        (MediaType.ociLayerGzip, .gzip),
        (MediaType.ociLayerZstd, .zstd),
        (MediaType.ociLayerNondistributableGzip, .gzip),
        (MediaType.dockerLayerGzip, .gzip),
        (MediaType.dockerForeignLayerGzip, .gzip),
        ("application/vnd.docker.image.rootfs.diff.tar.zstd", .zstd),
        ("application/vnd.oci.image.layer.v1.tar+gz", .none),
    ])
    func layerCompression(_ type: String, _ expected: MediaType.Compression) {
        #expect(MediaType.layerCompression(type) == expected)
    }

    @Test func descriptorOmitsAbsentFields() throws {
        let d = Descriptor(mediaType: MediaType.ociLayerGzip, digest: try Digest(layerDigest), size: 5_000_000_000)
        let text = String(decoding: try CanonicalJSON.encode(d), as: UTF8.self)
        #expect(text == #"{"digest":"\#(layerDigest)","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":5000000000}"#)
        #expect(try JSONDecoder().decode(Descriptor.self, from: Data(text.utf8)) == d)
        let withURLs = Descriptor(mediaType: MediaType.dockerForeignLayerGzip, digest: try Digest(layerDigest), size: 1, urls: ["https://example.com/l"])
        #expect(try JSONDecoder().decode(Descriptor.self, from: Data(try CanonicalJSON.encode(withURLs))) == withURLs)
    }

    @Test func descriptorRejectsBadDigest() {
        let json = #"{"mediaType":"x","digest":"sha256:../../etc","size":1}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Descriptor.self, from: Data(json.utf8)) }
    }
}

@Suite("JSONValue")
struct JSONValueTests {
    @Test func roundTripsEveryKind() throws {
        let json = #"{"a":1,"b":true,"c":1.5,"d":null,"e":"s/t","f":[1,"x",false,null,{"g":[]}],"h":{},"i":-9007199254740993,"j":0}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .bool(true))
        #expect(value["c"] == .double(1.5))
        #expect(value["d"] == .null)
        #expect(value["e"] == .string("s/t"))
        #expect(value["f"]?.arrayValue?.count == 5)
        #expect(value["h"] == .object([:]))
        #expect(value["i"] == .int(-9007199254740993))
        #expect(value["j"] == .int(0))
        #expect(value["missing"] == nil)
        #expect(String(decoding: try CanonicalJSON.encode(value), as: UTF8.self) == json)
    }

    @Test func boolsAndNumbersStayDistinct() throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data("[true,1,0,false]".utf8))
        #expect(value == .array([.bool(true), .int(1), .int(0), .bool(false)]))
    }

    @Test func subscriptSetAndRemove() {
        var value = JSONValue.object(["a": .int(1)])
        value["b"] = .string("x")
        value["a"] = nil
        #expect(value == .object(["b": .string("x")]))
        var array = JSONValue.array([])
        array["a"] = .int(1)
        #expect(array == .array([]))
        #expect(JSONValue.string("x")["a"] == nil)
        #expect(JSONValue.string("x").stringValue == "x")
        #expect(JSONValue.int(1).stringValue == nil)
        #expect(JSONValue.null.objectValue == nil)
    }
}
