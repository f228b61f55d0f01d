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

        let report = try await write(LocalImages.source(index: index, [amd, arm]), try OCILayoutDestination(directory: layout), names: ["1.0"])
        #expect(report.digest == index.digest)

        let readBack = OCILayoutSource(directory: layout, name: "1.0")
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
        let first = try await write(LocalImages.source(image), try OCILayoutDestination(directory: layout), names: ["a"])
        let second = try await write(LocalImages.source(image), try OCILayoutDestination(directory: layout), names: ["a"])
        #expect(first.blobsCopied == 3 && first.blobsSkipped == 0)
        #expect(second.blobsCopied == 0 && second.blobsSkipped == 3 && second.bytesCopied == 0)
    }

    @Test func layoutRoundTripThroughSecondLayout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let image = try LocalImages.image(docker: true, in: directory)
        let first = directory.path + "/one", second = directory.path + "/two"
        _ = try await write(LocalImages.source(image), try OCILayoutDestination(directory: first), names: ["x"])
        let report = try await write(OCILayoutSource(directory: first, name: "x"), try OCILayoutDestination(directory: second), names: [])
        #expect(report.digest == image.manifest.digest)
        // Untagged: the only entry of the layout is found without a tag.
        #expect(try await OCILayoutSource(directory: second, name: nil).rootManifest().digest == image.manifest.digest)
    }

    @Test func dockerArchiveRoundTripKeepsConfigAndLayers() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let image = try LocalImages.image(docker: false, in: directory)
        let archive = directory.path + "/image.tar"
        let reference = try Reference(parsing: "example.com/team/app:1.0")
        _ = try await write(LocalImages.source(image), DockerArchiveDestination(file: archive), names: DockerArchiveFormat.repoTag(reference).map { [$0] } ?? [])

        // python's tarfile sees Docker 25's save: every blob under blobs/sha256 (the manifest too),
        // oci-layout and index.json beside manifest.json and repositories.
        let members = try PythonCheck.tarMembers(archive)
        for blob in [image.config, image.manifest.descriptor()] + image.layers {
            #expect(members["blobs/sha256/" + blob.digest.hex] == Int(blob.size))
        }
        let manifestJSON = try PythonCheck.tarMember(archive, "manifest.json")
        let entries = try JSONDecoder().decode([DockerArchiveFormat.ImageEntry].self, from: manifestJSON)
        #expect(entries.count == 1)
        #expect(entries.first?.RepoTags == ["example.com/team/app:1.0"])
        #expect(entries.first?.Config == "blobs/sha256/" + image.config.digest.hex)
        #expect(entries.first?.Layers == image.layers.map { "blobs/sha256/" + $0.digest.hex })
        #expect(members["repositories"] != nil && members["oci-layout"] != nil)
        let index = try JSONDecoder().decode(ImageIndex.self, from: try PythonCheck.tarMember(archive, "index.json"))
        #expect(index.manifests.map(\.digest) == [image.manifest.digest])
        #expect(index.manifests.first?.annotations?["io.containerd.image.name"] == "example.com/team/app:1.0")
        #expect(index.manifests.first?.annotations?["org.opencontainers.image.ref.name"] == "1.0")

        // A reader gets the manifest's own bytes back: the digest samforge printed.
        let source = DockerArchiveSource(file: archive, reference: reference)
        #expect(try await source.rootManifest() == image.manifest)

        // An archive without the layout (docker save before 25, skopeo): a Docker manifest is
        // rebuilt around the same config and layers.
        let legacy = directory.path + "/legacy.tar"
        _ = try PythonCheck.run("""
            import sys, tarfile
            with tarfile.open(sys.argv[1]) as old, tarfile.open(sys.argv[2], "w") as new:
                for member in old.getmembers():
                    if member.name not in ("index.json", "oci-layout"):
                        new.addfile(member, old.extractfile(member))
            """, [archive, legacy])
        let rebuilt = try await DockerArchiveSource(file: legacy, reference: reference).rootManifest().decodeManifest()
        #expect(rebuilt.mediaType == MediaType.dockerManifest)
        #expect(rebuilt.config.digest == image.config.digest)
        #expect(rebuilt.layers.map(\.digest) == image.layers.map(\.digest))
        #expect(rebuilt.layers.allSatisfy { $0.mediaType == MediaType.dockerLayerGzip })

        // And back into a layout: every blob verifies on the way.
        let report = try await write(source, try OCILayoutDestination(directory: directory.path + "/layout"), names: ["t"])
        #expect(report.blobsCopied == 3)
    }

    @Test func dockerArchiveTakesAmd64FromAnIndexUnlessToldOtherwise() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let amd = try LocalImages.image(docker: true, in: directory)
        let arm = try LocalImages.image(architecture: "arm64", docker: true, in: directory)
        let index = try LocalImages.index([(arm, "linux/arm64"), (amd, "linux/amd64")], docker: true)

        let defaultArchive = directory.path + "/default.tar"
        let picked = try await write(LocalImages.source(index: index, [amd, arm]), DockerArchiveDestination(file: defaultArchive), names: [])
        #expect(picked.digest == amd.manifest.digest)
        #expect(picked.platform?.architecture == "amd64")

        let armArchive = directory.path + "/arm.tar"
        let chosen = try await write(LocalImages.source(index: index, [amd, arm]), DockerArchiveDestination(file: armArchive), names: [], platform: try Platform(parsing: "linux/arm64"))
        #expect(chosen.digest == arm.manifest.digest)
        let rebuilt = try await DockerArchiveSource(file: armArchive, reference: nil).rootManifest().decodeManifest()
        #expect(rebuilt.config.digest == arm.config.digest)
    }

    @Test func corruptBlobFailsAndLeavesNoArchive() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let image = try LocalImages.image(docker: false, in: directory)
        let layout = directory.path + "/layout"
        _ = try await write(LocalImages.source(image), try OCILayoutDestination(directory: layout), names: ["t"])
        // Flip the content of one layer blob in place (same size).
        let victim = layout + "/blobs/sha256/" + image.layers[1].digest.hex
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: victim))

        let archive = directory.path + "/out.tar"
        await #expect(throws: AssemblyError.self) {
            _ = try await write(OCILayoutSource(directory: layout, name: "t"), DockerArchiveDestination(file: archive), names: [])
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
            _ = try await write(LocalImages.source(image), try OCILayoutDestination(directory: layout), names: ["t"])
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/new"))
    }
}
