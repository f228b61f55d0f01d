import Foundation
import OCI
import Streams
import Testing
import TestSupport
@testable import Layers
import CArchive

// Robustness: corrupt, truncated, random and lying layer blobs must give entries or a thrown
// error (never a trap or an endless loop), and MergedFilesystem must keep every name inside the
// image and every staged byte inside its staging directory. Deterministic: seeded PRNG only.

/// Hand-made tar bytes, so headers can say what a writer never would.
private enum RawTar {
    static func octal(_ value: Int, width: Int) -> [UInt8] {
        let digits = String(value, radix: 8)
        return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
    }

    static func header(name: [UInt8], type: Character = "0", size: Int = 0, sizeField: [UInt8]? = nil, link: [UInt8] = [],
                       mode: Int = 0o644, checksumError: Int = 0) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: some Collection<UInt8>, at offset: Int) { block.replaceSubrange(offset..<offset + bytes.count, with: bytes) }
        put(name.prefix(100), at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(sizeField ?? octal(size, width: 12), at: 124)
        put(octal(1_234_567_890, width: 12), at: 136)
        block[156] = type.asciiValue ?? 0x30
        put(link.prefix(100), at: 157)
        put(Array("ustar\u{0}00".utf8), at: 257)
        put([UInt8](repeating: 0x20, count: 8), at: 148)
        let sum = block.reduce(0) { $0 + Int($1) } + checksumError
        put(octal(sum, width: 7) + [0x20], at: 148)
        return block
    }

    static func padded(_ data: [UInt8]) -> [UInt8] { data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512) }

    static func file(_ name: String, _ data: [UInt8] = [], type: Character = "0", link: String = "") -> [UInt8] {
        header(name: Array(name.utf8), type: type, size: data.count, link: Array(link.utf8)) + padded(data)
    }

    /// A PAX extended header (`x`) carrying `records` for the entry after it.
    static func pax(_ records: [(String, [UInt8])]) -> [UInt8] {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = 1 + key.utf8.count + 1 + value.count + 1  // " key=value\n"
            var length = body + 1
            while String(length).count + body != length { length = String(length).count + body }
            data += Array("\(length) \(key)=".utf8) + value + [0x0a]
        }
        return header(name: Array("PaxHeader/x".utf8), type: "x", size: data.count) + padded(data)
    }

    static let end = [UInt8](repeating: 0, count: 1024)
}

private func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let collected = CollectingSink(limit: 64 << 20)
    let sink = try GzipSink(level: 6, forwardingTo: collected)
    try bytes.withUnsafeBytes { try sink.write($0) }
    try sink.finish()
    return collected.bytes
}

/// Reads a whole layer from memory, content included, refusing to go on forever.
private func drain(_ bytes: [UInt8]) -> Result<[LayerEntry], Error> {
    Result {
        let reader = try LayerReader(source: MemorySource(bytes), bufferSize: 4096)
        var entries: [LayerEntry] = []
        while let entry = try reader.next() {
            entries.append(entry)
            if entries.count > 50_000 { Issue.record("runaway reader: more than 50000 entries"); break }
            if entries.count % 2 == 0 { try reader.readData(into: DiscardingSink()) }  // the rest are skipped
        }
        #expect(try reader.next() == nil)  // stays at the end
        return entries
    }
}

/// Invariants of any entry the reader produces.
private func checkEntry(_ entry: LayerEntry) {
    let components = entry.path.split(separator: "/", omittingEmptySubsequences: false)
    #expect(!entry.path.hasPrefix("/") && !entry.path.hasSuffix("/") && !entry.path.utf8.contains(0), "\(entry.rawPath.debugDescription)")
    #expect(entry.path.isEmpty || !components.contains { $0.isEmpty || $0 == "." }, "\(entry.path.debugDescription)")
    if components.contains("..") { #expect(!entry.isSafe, "\(entry.rawPath.debugDescription)") }
    if entry.kind == .hardlink, let target = entry.linkTarget, target.split(separator: "/").contains("..") { #expect(!entry.isSafe) }
    #expect(entry.mode <= 0o7777)
}

/// Applies layers to a listing-only view; nil when a layer is refused.
private func merge(_ layers: [[UInt8]]) -> Result<MergedFilesystem, Error> {
    Result {
        let merged = MergedFilesystem()
        for (index, bytes) in layers.enumerated() {
            try merged.apply(layerIndex: index, reader: LayerReader(source: MemorySource(bytes), bufferSize: 4096))
        }
        return merged
    }
}

private func checkListing(_ merged: MergedFilesystem) {
    for item in merged.listing() {
        #expect(!item.path.isEmpty && !item.path.hasPrefix("/"))
        #expect(!item.path.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "." || $0 == ".." },
                "\(item.path.debugDescription)")
    }
}

@Suite("Fuzz: layers")
struct FuzzLayerTests {
    static let specs: [LayerEntrySpec] = [
        .directory("/etc"),
        .bytes("/etc/hosts", Array("127.0.0.1 localhost\n".utf8)),
        LayerEntrySpec(path: "/etc/hosts.link", mode: 0o644, content: .hardlink(target: "/etc/hosts")),
        .symlink("/etc/localtime", to: "/usr/share/zoneinfo/UTC"),
        .bytes("/opt/app/big.bin", mode: 0o755, (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }),
        .bytes("/var/.wh..wh..opq", []),
        .bytes("/var/.wh.cache", []),
        .bytes("/données/café.txt", Array("crème".utf8)),
    ]

    static func validLayer() throws -> (gzip: [UInt8], tar: [UInt8]) {
        var writer = LayerWriter(mtime: 1_700_000_000)
        for spec in specs { try writer.add(spec) }
        let sink = CollectingSink(limit: 16 << 20)
        _ = try writer.write(to: sink)
        let tar = CollectingSink(limit: 16 << 20)
        try Gunzip.gunzip(sink.bytes, into: tar)
        return (sink.bytes, tar.bytes)
    }

    @Test func validLayerReadsBackExactly() throws {
        let layer = try Self.validLayer()
        for bytes in [layer.gzip, layer.tar] {
            let entries = try drain(bytes).get()
            #expect(entries.map(\.path) == ["données", "données/café.txt", "etc", "etc/hosts", "etc/hosts.link", "etc/localtime",
                                            "opt", "opt/app", "opt/app/big.bin", "var", "var/.wh..wh..opq", "var/.wh.cache"])
            #expect(entries.allSatisfy { $0.isSafe })
            #expect(entries.first { $0.path == "opt/app/big.bin" }?.size == 70_000)
            #expect(entries.first { $0.path == "etc/hosts.link" }?.linkTarget == "etc/hosts")
            entries.forEach(checkEntry)
        }
        let merged = try merge([layer.gzip]).get()
        #expect(merged.item(at: "/etc/hosts")?.entry.kind == .file)
        #expect(merged.item(at: "/var/cache") == nil)
        checkListing(merged)
    }

    /// Bit flips, deletions, duplications and overwrites of the gzip blob and of the tar inside
    /// it (re-compressed, so the tar parser sees the damage), and every 97th truncation.
    @Test(arguments: ["gzip", "tar", "truncate"])
    func mutatedLayersFailCleanly(_ target: String) throws {
        let layer = try Self.validLayer()
        let original = target == "gzip" ? layer.gzip : layer.tar
        let validEntries = try drain(layer.gzip).get()
        var rng = SeededGenerator(seed: target == "gzip" ? 0x9219 : 0x7a4)
        var failures = 0, successes = 0
        var cases: [(String, [UInt8])] = []
        if target == "truncate" {
            for length in stride(from: 0, to: layer.gzip.count, by: 97) { cases.append(("gzip cut at \(length)", Array(layer.gzip[..<length]))) }
            for length in stride(from: 0, to: layer.tar.count, by: 997) { cases.append(("tar cut at \(length)", Array(layer.tar[..<length]))) }
        } else {
            for iteration in 0..<300 {
                var bytes = original
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                // Most of a layer is file content; aim half of the damage at the headers.
                let headerAt = min(bytes.count - 1, 512 * Int.random(in: 0..<12, using: &rng) + Int.random(in: 0..<512, using: &rng))
                let position = target == "tar" && iteration % 2 == 0 ? headerAt : at
                switch iteration % 4 {
                case 0: bytes[position] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                case 1: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...600, using: &rng)))
                case 2: bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + Int.random(in: 1...600, using: &rng))], at: position)
                default:
                    for offset in 0..<min(12, bytes.count - position) { bytes[position + offset] = UInt8.random(in: 0...255, using: &rng) }
                }
                cases.append(("mutation \(iteration) at \(position)", target == "tar" ? try gzip(bytes) : bytes))
            }
        }
        for (label, bytes) in cases {
            switch drain(bytes) {
            case .success(let entries):
                successes += 1
                entries.forEach(checkEntry)
                // The gzip trailer (CRC-32, ISIZE) is checked: damage that reads at all reads
                // as the original (a header byte nobody uses, say), never as other content.
                if target == "gzip" { #expect(entries == validEntries, "\(label)") }
                if case .success(let merged) = merge([bytes]) { checkListing(merged) }
            case .failure(let error):
                failures += 1
                #expect(!String(describing: error).contains("\n"), "\(label): \(error)")
            }
        }
        #expect(failures > 0, "no mutation was noticed")
        if target == "truncate" {
            // Half a gzip stream or half a tar is never a whole layer.
            for (label, bytes) in cases where bytes.count > 0 && bytes.count < layer.gzip.count / 2 && label.hasPrefix("gzip") {
                #expect(throws: (any Error).self, "\(label)") { try drain(bytes).get() }
            }
        } else {
            #expect(successes > 0, "every mutation failed: the fuzzing never got past the first check")
        }
    }

    @Test(arguments: [1, 2, 10, 100, 511, 512, 513, 1024, 4096, 100_000])
    func randomBytesAreNotLayers(_ count: Int) throws {
        var rng = SeededGenerator(seed: UInt64(count))
        let noise = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        #expect(throws: (any Error).self) { try drain(noise).get() }
        #expect(throws: (any Error).self) { try drain(try gzip(noise)).get() }  // valid gzip, garbage inside
        #expect(throws: (any Error).self) { try merge([noise]).get() }
    }

    @Test func emptyAndZeroLayersHaveNoEntries() throws {
        #expect(try drain([]).get().isEmpty)
        #expect(try drain(try gzip([])).get().isEmpty)
        #expect(try drain(RawTar.end).get().isEmpty)
        #expect(try drain(try gzip(RawTar.end)).get().isEmpty)
        #expect(try merge([[], RawTar.end]).get().listing().isEmpty)
    }

    enum Outcome: Sendable, Equatable {
        /// The reader fails (reading every entry's content).
        case error
        /// The reader lists these (path, safe) pairs; `merged` says whether MergedFilesystem accepts them.
        case entries([String], safe: Bool, merged: Bool)
        /// Anything but a trap; entries, if any, still hold the invariants.
        case either
    }

    struct TarCase: Sendable, CustomTestStringConvertible {
        let name: String
        let tar: [UInt8]
        let outcome: Outcome
        var testDescription: String { name }
    }

    /// At the limits (256 components, 4096 bytes) and one past them.
    static let deepPath = String(repeating: "d/", count: 255) + "f"
    static let tooDeepPath = String(repeating: "d/", count: 256) + "f"
    static let longName = (0..<20).map { _ in String(repeating: "x", count: 199) }.joined(separator: "/") + "/" + String(repeating: "y", count: 96)
    static let tooLongName = longName + "z"


    static let tarCases: [TarCase] = [
        .init(name: "parent traversal", tar: RawTar.file("../../etc/passwd", Array("root::0:0::/:/bin/sh\n".utf8)) + RawTar.end,
              outcome: .entries(["../../etc/passwd"], safe: false, merged: false)),
        .init(name: "traversal in the middle", tar: RawTar.file("a/b/../../../x", [1]) + RawTar.end,
              outcome: .entries(["a/b/../../../x"], safe: false, merged: false)),
        .init(name: "absolute path", tar: RawTar.file("/etc/passwd", [1]) + RawTar.end,
              outcome: .entries(["etc/passwd"], safe: true, merged: true)),
        .init(name: "dot segments", tar: RawTar.file("./a/./b//c/.", [1]) + RawTar.end,
              outcome: .entries(["a/b/c"], safe: true, merged: true)),
        .init(name: "hard link out of the root", tar: RawTar.file("ok", type: "1", link: "../../etc/shadow") + RawTar.end,
              outcome: .entries(["ok"], safe: false, merged: false)),
        .init(name: "hard link to an absolute path", tar: RawTar.file("ok", type: "1", link: "/etc/shadow") + RawTar.end,
              outcome: .entries(["ok"], safe: true, merged: true)),
        .init(name: "whiteout of ..", tar: RawTar.file("a/.wh...", []) + RawTar.end,
              outcome: .entries(["a/.wh..."], safe: false, merged: false)),
        .init(name: "symlink to / then a file through it",
              tar: RawTar.file("evil", type: "2", link: "/") + RawTar.file("evil/etc/passwd", [1]) + RawTar.end,
              outcome: .entries(["evil", "evil/etc/passwd"], safe: true, merged: true)),
        .init(name: "PAX path of 4096 bytes", tar: RawTar.pax([("path", Array(longName.utf8))]) + RawTar.file("short", [1]) + RawTar.end,
              outcome: .entries([longName], safe: true, merged: true)),
        .init(name: "PAX path of 4097 bytes", tar: RawTar.pax([("path", Array(tooLongName.utf8))]) + RawTar.file("short", [1]) + RawTar.end,
              outcome: .error),
        .init(name: "256 nested components", tar: RawTar.pax([("path", Array(deepPath.utf8))]) + RawTar.file("x", [1]) + RawTar.end,
              outcome: .entries([deepPath], safe: true, merged: true)),
        .init(name: "257 nested components", tar: RawTar.pax([("path", Array(tooDeepPath.utf8))]) + RawTar.file("x", [1]) + RawTar.end,
              outcome: .error),
        .init(name: "GNU long name of 10,000 components", tar: RawTar.header(name: Array("././@LongLink".utf8), type: "L", size: 20_002)
              + RawTar.padded(Array((String(repeating: "a/", count: 10_000) + "f").utf8) + [0]) + RawTar.file("short", [1]) + RawTar.end,
              outcome: .error),
        .init(name: "symlink target of 4097 bytes", tar: RawTar.pax([("linkpath", Array(tooLongName.utf8))])
              + RawTar.file("link", type: "2", link: "x") + RawTar.end, outcome: .error),
        .init(name: "hard link target of 257 components", tar: RawTar.file("d/f", [1]) + RawTar.pax([("linkpath", Array(tooDeepPath.utf8))])
              + RawTar.file("link", type: "1", link: "d/f") + RawTar.end, outcome: .error),
        .init(name: "PAX path with .. is still unsafe", tar: RawTar.pax([("path", Array("safe/../../../x".utf8))]) + RawTar.file("safe", [1]) + RawTar.end,
              outcome: .entries(["safe/../../../x"], safe: false, merged: false)),
        .init(name: "NUL in the ustar name", tar: RawTar.header(name: Array("a\u{0}../../x".utf8), size: 1) + RawTar.padded([1]) + RawTar.end,
              outcome: .entries(["a"], safe: true, merged: true)),
        .init(name: "NUL in a PAX path", tar: RawTar.pax([("path", Array("a\u{0}/../../x".utf8))]) + RawTar.file("b", [1]) + RawTar.end,
              outcome: .either),
        .init(name: "invalid UTF-8 name", tar: RawTar.header(name: [0x61, 0xff, 0xfe, 0x2f, 0x62], size: 0) + RawTar.end,
              outcome: .entries(["a\\xff\\xfe/b"], safe: true, merged: true)),
        .init(name: "empty name", tar: RawTar.file("", [1]) + RawTar.end, outcome: .either),
        .init(name: "size beyond the data", tar: RawTar.header(name: Array("big".utf8), size: 100_000) + RawTar.padded([1, 2, 3]) + RawTar.end,
              outcome: .error),
        .init(name: "size short of the data", tar: RawTar.header(name: Array("small".utf8), size: 10)
              + [UInt8](repeating: 0x41, count: 2048) + RawTar.end, outcome: .error),
        .init(name: "negative base-256 size", tar: RawTar.header(name: Array("neg".utf8), sizeField: [UInt8](repeating: 0xff, count: 12)) + RawTar.end,
              outcome: .error),
        .init(name: "huge base-256 size", tar: RawTar.header(name: Array("huge".utf8), sizeField: [0x80, 0, 0, 0, 0x7f] + [UInt8](repeating: 0xff, count: 7))
              + RawTar.end, outcome: .error),
        .init(name: "largest octal size", tar: RawTar.header(name: Array("oct".utf8), sizeField: Array("77777777777\u{0}".utf8)) + RawTar.end,
              outcome: .error),
        .init(name: "garbage in the size field", tar: RawTar.header(name: Array("junk".utf8), sizeField: Array("zz9\u{1}\u{2}zzzzzzz".utf8)) + RawTar.end,
              outcome: .either),
        .init(name: "bad checksum", tar: RawTar.header(name: Array("bad".utf8), size: 0, checksumError: 1) + RawTar.end, outcome: .error),
        .init(name: "PAX size beyond Int64", tar: RawTar.pax([("size", Array("99999999999999999999999".utf8))]) + RawTar.file("p", [1]) + RawTar.end,
              outcome: .error),
        .init(name: "PAX size of Int64.max", tar: RawTar.pax([("size", Array("9223372036854775807".utf8))]) + RawTar.file("p", [1]) + RawTar.end,
              outcome: .error),
        .init(name: "negative PAX size", tar: RawTar.pax([("size", Array("-5".utf8))]) + RawTar.file("p", [1]) + RawTar.end, outcome: .either),
        .init(name: "PAX record longer than its header", tar: RawTar.header(name: Array("PaxHeader/x".utf8), type: "x", size: 12)
              + RawTar.padded(Array("999999 path=".utf8)) + RawTar.file("p", [1]) + RawTar.end, outcome: .either),
        .init(name: "GNU long name of 2 GiB", tar: RawTar.header(name: Array("././@LongLink".utf8), type: "L", size: 0x7fff_ffff)
              + RawTar.padded(Array("x".utf8)) + RawTar.end, outcome: .error),
        .init(name: "GNU long name then nothing", tar: RawTar.header(name: Array("././@LongLink".utf8), type: "L", size: 5)
              + RawTar.padded(Array("abcde".utf8)) + RawTar.end, outcome: .either),
        .init(name: "3000 entries of one name", tar: (0..<3000).flatMap { _ in RawTar.file("same", [7]) } + RawTar.end, outcome: .either),
        .init(name: "directory replaced by a file, then written through", tar: RawTar.file("d/x", [1]) + RawTar.file("d", [2])
              + RawTar.file("d/y", [3]) + RawTar.end, outcome: .entries(["d/x", "d", "d/y"], safe: true, merged: true)),
    ]

    @Test(arguments: tarCases)
    func lyingAndHostileTars(_ c: TarCase) throws {
        for (form, bytes) in [("tar", c.tar), ("tar.gz", try gzip(c.tar))] {
            let result = drain(bytes)
            if case .success(let entries) = result { entries.forEach(checkEntry) }
            let merged = merge([bytes])
            if case .success(let view) = merged { checkListing(view) }
            switch c.outcome {
            case .error:
                #expect(throws: (any Error).self, "\(form)") { try result.get() }
                #expect(throws: (any Error).self, "\(form)") { try merged.get() }
            case .entries(let paths, let safe, let mergeable):
                let entries = try result.get()
                #expect(entries.map(\.path) == paths, "\(form)")
                #expect(entries.allSatisfy { $0.isSafe } == safe, "\(form)")
                if mergeable {
                    #expect(throws: Never.self, "\(form)") { try merged.get() }
                } else {
                    #expect(throws: LayerError.self, "\(form)") { try merged.get() }
                    if case .failure(let error as LayerError) = merged, case .unsafeEntry = error {} else {
                        Issue.record("\(form): expected an unsafe-entry refusal, got \(merged)")
                    }
                }
            case .either:
                break
            }
        }
    }

    @Test func unsafeLayersAreRefusedWithOneLine() throws {
        let error = #expect(throws: LayerError.self) { try merge([RawTar.file("../../etc/passwd\n\u{1b}[2J", [1]) + RawTar.end]).get() }
        #expect(error.map { if case .unsafeEntry(_, 0) = $0 { true } else { false } } == true)
        #expect(error?.description.contains("escapes the root") == true)
        // The hostile name is shown escaped: one line, no terminal control codes.
        #expect(error?.description.contains(#"../../etc/passwd\n\u{1b}[2J"#) == true, "\(String(describing: error))")
        #expect(error?.description.unicodeScalars.contains { $0.properties.generalCategory == .control } == false)
    }

    /// Whatever a layer names (symlinks to /, `..`, absolute paths, deep trees), staged content
    /// lands in the one spool file of the staging directory, and COPY specs stay under the target.
    @Test func stagingNeverEscapes() throws {
        let sandbox = try TemporaryDirectory()
        let staging = sandbox.path + "/staging"
        let layers: [[UInt8]] = [
            RawTar.file("evil", type: "2", link: "/") + RawTar.file("up", type: "2", link: "../../..") + RawTar.end,
            RawTar.file("evil/etc/passwd", Array("owned".utf8)) + RawTar.file("up/x", Array("up".utf8))
                + RawTar.file("/abs/file", Array("abs".utf8)) + RawTar.file("link", type: "1", link: "/abs/file")
                + RawTar.pax([("path", Array(Self.deepPath.utf8))]) + RawTar.file("deep", Array("deep".utf8)) + RawTar.end,
        ]
        let merged = try MergedFilesystem(selecting: ["/"], stagingDirectory: staging)
        for (index, bytes) in layers.enumerated() {
            try merged.apply(layerIndex: index, reader: LayerReader(source: MemorySource(try gzip(bytes))))
        }
        // Refused layers stage nothing either.
        for hostile in [RawTar.file("../outside", Array("x".utf8)), RawTar.file("h", type: "1", link: "../../outside")] {
            #expect(throws: LayerError.self) { try merged.apply(layerIndex: 9, reader: LayerReader(source: MemorySource(hostile + RawTar.end))) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.path) == ["staging"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: staging) == ["content"])
        #expect(merged.stagedFiles == 4)  // evil/etc/passwd, up/x, abs/file (+ its link), deep
        #expect(merged.item(at: "/evil")?.entry.kind == .directory)  // the symlink was replaced, not followed
        #expect(merged.item(at: "/up/x")?.entry.kind == .file)
        #expect(merged.item(at: "/../etc/passwd") == nil)
        #expect(merged.item(at: "/abs/file")?.entry.kind == .file)

        let specs = try merged.entries(under: "/", destination: "/copy")
        // The root's own entry becomes the destination directory; everything else lands below it.
        #expect(specs.allSatisfy { $0.path == "copy" || $0.path.hasPrefix("copy/") }, "\(specs.map(\.path).prefix(5))")
        #expect(specs.contains { $0.path == "copy/evil/etc/passwd" })
        #expect(specs.contains { $0.path == "copy/" + Self.deepPath })
        for spec in specs {
            if case .file(let path) = spec.content { Issue.record("a copy names a local file: \(path)") }
        }
        let link = specs.first { $0.path == "copy/link" }
        if case .staged? = link?.content {
            #expect(try link.flatMap(Fixture.content) == Array("abs".utf8))  // the hard link's content
        } else {
            Issue.record("hard link not staged: \(String(describing: link))")
        }
        for (selector, destination) in [("/../etc", "/x"), ("/a", "/../x"), ("/a\u{0}b", "/x")] {
            #expect(throws: LayerError.self) { try merged.entries(under: selector, destination: destination) }
        }
    }
}

/// Decompresses a gzip blob through libarchive's raw format (so the mutation tests can damage
/// the tar itself and compress it again).
private enum Gunzip {
    static func gunzip(_ bytes: [UInt8], into sink: ByteSink) throws {
        let archive = archive_read_new()
        defer { archive_read_free(archive) }
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_raw(archive)
        let status = bytes.withUnsafeBytes { archive_read_open_memory(archive, $0.baseAddress, $0.count) }
        guard status == ARCHIVE_OK else { throw LayerError.compression("cannot open gzip") }
        var entry: OpaquePointer?
        guard archive_read_next_header(archive, &entry) == ARCHIVE_OK else { throw LayerError.compression("no gzip member") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if count == 0 { return }
            guard count > 0 else { throw LayerError.compression("gunzip failed") }
            try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }
}
