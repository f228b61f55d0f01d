import Foundation
import OCI
import Streams
import Testing
import TestSupport
@testable import Assembly

/// index.json: how tags pick entries, how a commit rewrites it, and the errors of a broken layout.
@Suite struct OCILayoutTests {
    static func descriptor(_ n: Int, name: String?) -> Descriptor {
        let digest = Digest.of(Array("image \(n)".utf8))
        return Descriptor(mediaType: MediaType.ociManifest, digest: digest, size: 10,
                          annotations: name.map { [OCILayout.refNameAnnotation: $0] })
    }

    static let entries = [descriptor(0, name: "1.0"), descriptor(1, name: "docker.io/library/alpine:3.20"), descriptor(2, name: nil)]

    @Test(arguments: [("1.0", 0), ("3.20", 1), ("docker.io/library/alpine:3.20", 1)])
    func tagSelectsEntry(tag: String, expected: Int) throws {
        #expect(try OCILayout.select(Self.entries, name: tag, location: "oci:x") == Self.entries[expected])
    }

    @Test func missingTagListsWhatIsThere() {
        #expect {
            _ = try OCILayout.select(Self.entries, name: "2.0", location: "oci:x:2.0")
        } throws: { error in
            let text = String(describing: error)
            return text.contains("no image tagged \"2.0\"") && text.contains("available: 1.0, docker.io/library/alpine:3.20")
        }
    }

    /// umoci's "tag is ambiguous": two entries with one name, or a short tag ending two full
    /// references, is an error naming both, never a silent pick of one of them.
    @Test(arguments: [
        ([descriptor(0, name: "1.0"), descriptor(1, name: "1.0")], "1.0"),
        ([descriptor(0, name: "example.test/a:1"), descriptor(1, name: "example.test/b:1")], "1"),
    ])
    func anAmbiguousNameIsAnError(_ entries: [Descriptor], name: String) {
        #expect {
            _ = try OCILayout.select(entries, name: name, location: "oci:x")
        } throws: { error in
            let text = String(describing: error)
            return text.contains("is ambiguous") && text.contains(entries[0].digest.short) && text.contains(entries[1].digest.short)
        }
    }

    @Test func aFullReferencePicksExactlyItsEntry() throws {
        let entries = [Self.descriptor(0, name: "example.test/a:1"), Self.descriptor(1, name: "example.test/b:1")]
        #expect(try OCILayout.select(entries, name: "example.test/b:1", location: "oci:x") == entries[1])
    }

    @Test func noTagNeedsExactlyOneImage() throws {
        #expect(try OCILayout.select([Self.entries[2]], name: nil, location: "oci:x") == Self.entries[2])
        #expect(throws: AssemblyError.self) { try OCILayout.select(Self.entries, name: nil, location: "oci:x") }
        #expect(throws: AssemblyError.self) { try OCILayout.select([], name: nil, location: "oci:x") }
    }

    @Test func commitReplacesTheTagAndKeepsOtherEntries() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let layout = directory.path + "/layout"
        let first = try LocalImages.image(docker: false, in: directory)
        let second = try LocalImages.image([LocalImages.base], docker: false, in: directory)
        for (image, tag) in [(first, "keep"), (first, "moving"), (second, "moving")] {
            _ = try await write(LocalImages.source(image), try OCILayoutDestination(directory: layout), names: [tag])
        }
        let listed = try OCILayout.readIndex(layout, location: "oci:test")
        #expect(listed.count == 2)
        #expect(listed.first { OCILayout.refName($0) == "keep" }?.digest == first.manifest.digest)
        #expect(listed.first { OCILayout.refName($0) == "moving" }?.digest == second.manifest.digest)
        // python's json reads what we wrote (an independent parser).
        let names = try PythonCheck.run("import json,sys\nprint(','.join(sorted(m['annotations']['org.opencontainers.image.ref.name'] for m in json.load(open(sys.argv[1]))['manifests'])))",
                                        [layout + "/index.json"])
        #expect(names.trimmingCharacters(in: .whitespacesAndNewlines) == "keep,moving")
    }

    @Test func brokenLayoutsGiveOneClearError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fm = FileManager.default
        func source(_ name: String, tag: String? = nil) -> OCILayoutSource { OCILayoutSource(directory: directory.path + "/" + name, name: tag) }
        func message(_ source: OCILayoutSource) async -> String {
            do { _ = try await source.rootManifest(); return "no error" } catch { return String(describing: error) }
        }

        #expect(await message(source("missing")).hasSuffix("no such directory"))

        try fm.createDirectory(atPath: directory.path + "/nomarker", withIntermediateDirectories: true)
        #expect(await message(source("nomarker")).contains("not an OCI image layout (no oci-layout file)"))

        try fm.createDirectory(atPath: directory.path + "/corrupt", withIntermediateDirectories: true)
        try Data("{\"imageLayoutVersion\":\"1.0.0\"}".utf8).write(to: URL(fileURLWithPath: directory.path + "/corrupt/oci-layout"))
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: directory.path + "/corrupt/index.json"))
        #expect(await message(source("corrupt")).contains("corrupt index.json"))

        // A tagged image whose manifest blob was deleted.
        let image = try LocalImages.image(docker: false, in: directory)
        _ = try await write(LocalImages.source(image), try OCILayoutDestination(directory: directory.path + "/holed"), names: ["t"])
        try fm.removeItem(atPath: directory.path + "/holed/blobs/sha256/" + image.manifest.digest.hex)
        #expect(await message(source("holed", tag: "t")).contains("manifest \(image.manifest.digest) is missing"))
    }

    @Test func destinationRefusesAForeignDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory.path + "/unrelated.txt"))
        #expect(throws: AssemblyError.self) { _ = try OCILayoutDestination(directory: directory.path) }
    }

    @Test func writtenBlobIsVerified() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let destination = try OCILayoutDestination(directory: directory.path + "/layout")
        let claimed = Descriptor(mediaType: MediaType.ociLayerGzip, digest: Digest.of(Array("other".utf8)), size: 5)
        await #expect(throws: AssemblyError.self) {
            try await destination.putBlob(claimed, from: Streams.MemorySource(Array("bytes".utf8)), verifiedBeforeEnd: false)
        }
        #expect(try await !destination.hasBlob(claimed))
    }
}
