import Foundation
import Testing
import TestSupport

/// A `docker-archive:` samforge writes (Docker 25's format: every blob at `blobs/sha256/HEX`,
/// `oci-layout` and `index.json` beside `manifest.json`) loads in every loader: containerd
/// (`ctr images import`, which reads the layout and must report the very digest samforge
/// printed), podman (`load`) and skopeo (`copy docker-archive:…`, which reads manifest.json),
/// and what they loaded runs.
@Suite("consumers: ctr import, podman load and skopeo copy read samforge's docker archives", .enabled(if: Consumers.available))
struct ConsumerArchiveTests {
    func archive(_ image: ConsumerImage) throws -> (file: String, written: ConsumerImage.Written) {
        let file = try TemporaryDirectory().path + "/image.tar"
        return (file, try image.write(to: .dockerArchive(file: file)))
    }

    @Test(arguments: ConsumerImage.allCases)
    func containerdImportsItWithThePrintedDigest(image: ConsumerImage) throws {
        let (file, written) = try archive(image)
        let output = try Containerd.importArchive(file).stdout
        // The name comes from index.json's io.containerd.image.name.
        let name = written.name
        #expect(output.contains("unpacking \(name) (\(written.digest))"), "\(output)")
        #expect(try Containerd.digest(of: name) == written.digest, "containerd's digest for \(name)")
        #expect(Consumers.lines(try Containerd.run(name, image.runArguments)) == image.expectedOutput, "ctr run \(name)")
    }

    @Test(arguments: ConsumerImage.allCases)
    func podmanLoadsIt(image: ConsumerImage) throws {
        let (file, written) = try archive(image)
        let loaded = try Podman.podman(["load", "-q", "-i", file]).stdout
        #expect(loaded.contains("Loaded image: \(written.name)"), "\(loaded)")
        #expect(Consumers.lines(try Podman.run(written.name, image.runArguments)) == image.expectedOutput, "podman run \(written.name)")
    }

    @Test(arguments: ConsumerImage.allCases)
    func skopeoCopiesItIntoContainersStorage(image: ConsumerImage) throws {
        let (file, written) = try archive(image)
        let name = "example.test/consumers/" + Consumers.uniqueName("skopeo-\(image.rawValue)") + ":1"
        try Consumers.succeed("skopeo", ["copy", "-q", "docker-archive:\(file):\(written.name)", Podman.storageLocation(name)])
        // skopeo rebuilds a manifest from manifest.json: the config (the image ID) is samforge's.
        let config = try #require(try CopyKit.skopeo(["inspect", "--raw", "docker-archive:\(file)"])["config"] as? [String: Any])
        let id = try Podman.podman(["image", "inspect", "--format", "{{.Id}}", name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect("sha256:" + id == config["digest"] as? String)
        #expect(Consumers.lines(try Podman.run(name, image.runArguments)) == image.expectedOutput, "podman run \(name)")
    }
}
