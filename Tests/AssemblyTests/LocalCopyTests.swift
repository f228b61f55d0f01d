import Foundation
import OCI
import Testing
import TestSupport
@testable import Assembly

/// The copier between in-memory images, OCI layouts and docker archives: digests survive,
/// re-runs skip, a docker archive gets one platform, failures leave nothing behind.
@Suite struct LocalCopyTests {
    @Test(arguments: [true, false])
    func indexIntoLayoutKeepsEveryDigest(docker: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let amd = try LocalImages.image(docker: docker, in: directory)
        let arm = try LocalImages.image(architecture: "arm64", docker: docker, in: directory)
        let index = try LocalImages.index([(amd, "linux/amd64"), (arm, "linux/arm64/v8")], docker: docker)
        let layout = directory.path + "/layout"

        let report = try await ImageCopier(source: LocalImages.source(index: index, [amd, arm]),
                                           destination: OCILayoutDestination(directory: layout, tag: "1.0")).copy()
        #expect(report.digest == index.digest)

        let readBack = OCILayoutSource(directory: layout, tag: "1.0")
        #expect(try await readBack.rootManifest().bytes == index.bytes)
        #expect(try await readBack.manifest(arm.manifest.digest).bytes == arm.manifest.bytes)
        let markerText = try String(contentsOfFile: layout + "/oci-layout", encoding: .utf8)
        #expect(markerText.contains("\"imageLayoutVersion\":\"1.0.0\""))
        for digest in amd.blobs.keys {
            #expect(FileManager.default.fileExists(atPath: layout + "/blobs/sha256/" + digest.hex))
        }
        // No temporary file survives a successful copy.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: layout).filter { $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty)
    }

    @Test func secondCopyIntoLayoutSkipsEveryBlob() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let image = try LocalImages.image(docker: false, in: directory)
        let layout = directory.path + "/layout"
        let first = try await ImageCopier(source: LocalImages.source(image), destination: OCILayoutDestination(directory: layout, tag: "a")).copy()
        let second = try await ImageCopier(source: LocalImages.source(image), destination: OCILayoutDestination(directory: layout, tag: "a")).copy()
        #expect(first.blobsCopied == 3 && first.blobsSkipped == 0)
        #expect(second.blobsCopied == 0 && second.blobsSkipped == 3 && second.bytesCopied == 0)
    }

    @Test func layoutRoundTripThroughSecondLayout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let image = try LocalImages.image(docker: true, in: directory)
        let first = directory.path + "/one", second = directory.path + "/two"
        _ = try await ImageCopier(source: LocalImages.source(image), destination: OCILayoutDestination(directory: first, tag: "x")).copy()
        let report = try await ImageCopier(source: OCILayoutSource(directory: first, tag: "x"),
                                           destination: OCILayoutDestination(directory: second, tag: nil)).copy()
        #expect(report.digest == image.manifest.digest)
        // Untagged: the only entry of the layout is found without a tag.
        #expect(try await OCILayoutSource(directory: second, tag: nil).rootManifest().digest == image.manifest.digest)
    }

    @Test func dockerArchiveRoundTripKeepsConfigAndLayers() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let image = try LocalImages.image(docker: false, in: directory)
        let archive = directory.path + "/image.tar"
        let reference = try Reference(parsing: "example.com/team/app:1.0")
        _ = try await ImageCopier(source: LocalImages.source(image), destination: DockerArchiveDestination(file: archive, reference: reference)).copy()

        // python's tarfile sees docker save's layout: config, layer blobs unchanged, manifest.json.
        let members = try PythonCheck.tarMembers(archive)
        #expect(members[image.config.digest.hex + ".json"] == Int(image.config.size))
        for layer in image.layers { #expect(members[layer.digest.hex + ".tar.gz"] == Int(layer.size)) }
        let manifestJSON = try PythonCheck.tarMember(archive, "manifest.json")
        let entries = try JSONDecoder().decode([DockerArchiveFormat.ImageEntry].self, from: manifestJSON)
        #expect(entries.count == 1)
        #expect(entries.first?.RepoTags == ["example.com/team/app:1.0"])
        #expect(entries.first?.Layers == image.layers.map { $0.digest.hex + ".tar.gz" })
        #expect(members["repositories"] != nil)

        let source = DockerArchiveSource(file: archive, reference: reference)
        let rebuilt = try await source.rootManifest().decodeManifest()
        #expect(rebuilt.mediaType == MediaType.dockerManifest)
        #expect(rebuilt.config.digest == image.config.digest)
        #expect(rebuilt.layers.map(\.digest) == image.layers.map(\.digest))
        #expect(rebuilt.layers.allSatisfy { $0.mediaType == MediaType.dockerLayerGzip })

        // And back into a layout: every blob verifies on the way.
        let report = try await ImageCopier(source: source, destination: OCILayoutDestination(directory: directory.path + "/layout", tag: "t")).copy()
        #expect(report.blobsCopied == 3)
    }

    @Test func dockerArchiveTakesAmd64FromAnIndexUnlessToldOtherwise() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let amd = try LocalImages.image(docker: true, in: directory)
        let arm = try LocalImages.image(architecture: "arm64", docker: true, in: directory)
        let index = try LocalImages.index([(arm, "linux/arm64"), (amd, "linux/amd64")], docker: true)

        let defaultArchive = directory.path + "/default.tar"
        let picked = try await ImageCopier(source: LocalImages.source(index: index, [amd, arm]),
                                           destination: DockerArchiveDestination(file: defaultArchive, reference: nil)).copy()
        #expect(picked.digest == amd.manifest.digest)
        #expect(picked.platform?.architecture == "amd64")

        let armArchive = directory.path + "/arm.tar"
        let chosen = try await ImageCopier(source: LocalImages.source(index: index, [amd, arm]),
                                           destination: DockerArchiveDestination(file: armArchive, reference: nil),
                                           options: CopyOptions(platform: try Platform(parsing: "linux/arm64"))).copy()
        #expect(chosen.digest == arm.manifest.digest)
        let rebuilt = try await DockerArchiveSource(file: armArchive, reference: nil).rootManifest().decodeManifest()
        #expect(rebuilt.config.digest == arm.config.digest)
    }

    @Test func corruptBlobFailsAndLeavesNoArchive() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let image = try LocalImages.image(docker: false, in: directory)
        let layout = directory.path + "/layout"
        _ = try await ImageCopier(source: LocalImages.source(image), destination: OCILayoutDestination(directory: layout, tag: "t")).copy()
        // Flip the content of one layer blob in place (same size).
        let victim = layout + "/blobs/sha256/" + image.layers[1].digest.hex
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: victim))

        let archive = directory.path + "/out.tar"
        await #expect(throws: AssemblyError.self) {
            _ = try await ImageCopier(source: OCILayoutSource(directory: layout, tag: "t"),
                                      destination: DockerArchiveDestination(file: archive, reference: nil)).copy()
        }
        #expect(!FileManager.default.fileExists(atPath: archive))
        let partials = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".partial") }
        #expect(partials.isEmpty)
    }

    @Test func failedCopyRemovesTheLayoutItCreated() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var image = try LocalImages.image(docker: false, in: directory)
        image.blobs[image.layers[0].digest] = nil  // the source cannot serve a layer
        let layout = directory.path + "/new/layout"
        await #expect(throws: AssemblyError.self) {
            _ = try await ImageCopier(source: LocalImages.source(image), destination: OCILayoutDestination(directory: layout, tag: "t")).copy()
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/new"))
    }
}
