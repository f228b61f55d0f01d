import Foundation
import OCI
import Streams
import Testing
@testable import Layers

/// Users pin the digests of images samforge builds, so the default gzip layer must stay the same
/// bytes whatever happens underneath (the pipeline, the threads, how content is staged). The
/// digests below were taken before the writer was rebuilt around a compression thread and a
/// spool; any change to them is a breaking change and must be deliberate.
@Suite struct GzipStabilityTests {
    /// A layer with every kind of entry, text and binary content from a seeded generator,
    /// content that crosses every buffer size, long, non-ASCII and hard-linked names.
    static func specs(in directory: TemporaryDirectory) throws -> [LayerEntrySpec] {
        var generator = Seeded(seed: 17)
        var specs: [LayerEntrySpec] = []
        for index in 0..<400 {
            let text = (0..<(index * 7 % 900)).map { _ in "word\(generator.next() % 97) " }.joined()
            specs.append(.bytes("/opt/tree/dir\(index % 13)/file-\(index).txt", mode: index % 5 == 0 ? 0o755 : 0o644, Array(text.utf8)))
        }
        for size in [0, 1, 511, 512, 513, 10_240, 262_143, 262_144, 262_145, 3 << 20] {
            let path = directory.path + "/content-\(size)"
            var bytes = [UInt8](repeating: 0, count: size)
            for offset in stride(from: 0, to: size, by: 8) {
                let value = generator.next()
                for shift in 0..<min(8, size - offset) { bytes[offset + shift] = UInt8(truncatingIfNeeded: value >> (shift * 8)) }
            }
            // Half of each file repeats, so deflate finds matches across buffer boundaries.
            if size > 4 { bytes.replaceSubrange(size / 2..<size, with: bytes[0..<(size - size / 2)]) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            specs.append(.file("/opt/blobs/size-\(size).bin", mode: 0o640, from: path))
        }
        specs += [
            .directory("/opt/empty", mode: 0o700),
            .symlink("/usr/local/bin/tool", to: "/opt/tree/dir1/file-1.txt"),
            LayerEntrySpec(path: "/opt/tree/alias", mode: 0o644, content: .hardlink(target: "/opt/tree/dir2/file-2.txt")),
            LayerEntrySpec(path: "/opt/a-first", mode: 0o644, content: .hardlink(target: "/opt/blobs/size-262145.bin")),
            .bytes("/opt/" + String(repeating: "long-component-", count: 12) + "end", Array("long".utf8)),
            LayerEntrySpec(path: "/opt/données/café-crème.txt", mode: 0o600, uid: 1000, gid: 1000, content: .bytes(Array("crème".utf8))),
        ]
        return specs
    }

    struct Pin: Sendable, CustomTestStringConvertible {
        let mtime: Int64
        let digest: String
        let diffID: String
        var testDescription: String { "mtime \(mtime)" }
    }

    static let pins = [
        Pin(mtime: 0, digest: "sha256:1643c83fae1f33c00868f182459abc21c6df7cf3d34c4a33bbd29d84978d3238",
            diffID: "sha256:8a8cf6cf94c461f7137377829533adbbab64052326fd4d11fbb25e8b9542174c"),
        Pin(mtime: 1_700_000_000, digest: "sha256:de31411bd398ed9b207c8e20f0eed3c5ec9c92d2d5cb29383a0cf14ebb44a05d",
            diffID: "sha256:e346891c2bcd690b15e8393191546cbf60bbc48ae08f02f864f9fe867339163e"),
    ]

    @Test(arguments: pins) func defaultGzipLayerKeepsItsBytes(_ pin: Pin) throws {
        let directory = try TemporaryDirectory()
        let layer = try Fixture.layer(try Self.specs(in: directory), mtime: pin.mtime, in: directory)
        #expect(layer.digest.description == pin.digest)
        #expect(layer.diffID.description == pin.diffID)
        #expect(try Tool.sha256sum(layer.path) == pin.digest)
    }
}

/// splitmix64: the same numbers on every machine.
struct Seeded {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
