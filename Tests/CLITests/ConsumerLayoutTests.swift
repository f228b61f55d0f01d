import Foundation
import Testing
import TestSupport

/// An `oci:` layout samforge writes with `--format oci` is read by skopeo (into
/// containers-storage, then run by podman), unpacked by `umoci unpack --rootless` (and its
/// rootfs run in a user-namespace chroot with the runtime config umoci derived from the image),
/// and, packed into an oci-archive with tar, imported by containerd with the digest samforge
/// printed. A layout in Docker media types (samforge's default for a Docker base) is read by
/// containerd as it is.
@Suite("consumers: skopeo, podman, umoci and ctr import read samforge's OCI layouts", .enabled(if: Consumers.available))
struct ConsumerLayoutTests {
    /// `--format oci`; the copy takes linux/amd64 alone, as umoci does not pick from an index.
    func layout(_ image: ConsumerImage, format: [String] = ["--format", "oci"]) throws -> (directory: String, written: ConsumerImage.Written) {
        let directory = try TemporaryDirectory().path + "/layout"
        let platform = image == .copy ? ["--platform", "linux/amd64"] : []
        return (directory, try image.write(to: .ociLayout(directory: directory), extra: format + platform))
    }

    @Test(arguments: ConsumerImage.allCases)
    func skopeoCopiesItIntoContainersStorageAndPodmanRunsIt(image: ConsumerImage) throws {
        let (directory, written) = try layout(image)
        let name = "example.test/consumers/" + Consumers.uniqueName("layout-\(image.rawValue)") + ":1"
        try Consumers.succeed("skopeo", ["copy", "-q", "oci:\(directory):\(written.name)", Podman.storageLocation(name)])
        let repository = String(name.dropLast(2))
        #expect(try Podman.repoDigests(name).contains("\(repository)@\(written.digest)"), "the manifest samforge wrote, unchanged")
        #expect(Consumers.lines(try Podman.run(name, image.runArguments)) == image.expectedOutput, "podman run \(name)")
    }

    /// umoci 0.4.7 reads no zstd layers ("blob is not correct mediatype"): gzip images only.
    @Test(arguments: ConsumerImage.allCases.filter { !$0.isZstd })
    func umociUnpacksItRootlessAndItsRootfsRuns(image: ConsumerImage) throws {
        let (directory, written) = try layout(image)
        let bundle = try TemporaryDirectory().path + "/bundle"
        try Consumers.succeed("umoci", ["unpack", "--rootless", "--image", "\(directory):\(written.name)", bundle])
        // The runtime config umoci derived from the image config: args, env, cwd.
        let spec = try CopyKit.json(try String(contentsOfFile: bundle + "/config.json", encoding: .utf8))
        let process = try #require(spec["process"] as? [String: Any])
        let arguments = image.runsEntrypoint ? try #require(process["args"] as? [String]) : image.command
        let environment = try #require(process["env"] as? [String])
        let directoryInImage = try #require(process["cwd"] as? String)
        // chroot has no --workdir: the image's own shell changes into it first.
        let run = try Command.run("/usr/bin/env", ["-i"] + environment + ["/usr/bin/unshare", "-r", "/usr/sbin/chroot", bundle + "/rootfs",
                                                                         "/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directoryInImage] + arguments)
        try #require(run.status == 0, "unshare -r chroot \(arguments): \(run.stderr)")
        #expect(Consumers.lines(run.stdout) == image.expectedOutput)
    }

    @Test(arguments: ConsumerImage.allCases)
    func containerdImportsItAsAnOCIArchive(image: ConsumerImage) throws {
        let (directory, written) = try layout(image)
        try expectContainerdImports(directory, written, image)
    }

    /// Without `--format`, a Docker base stays Docker-typed in the layout (skopeo 1.9 and umoci
    /// read OCI types only); containerd imports and runs it as it is, SBOM and provenance beside
    /// it in index.json (unnamed entries, which ctr import leaves out).
    @Test func containerdImportsADockerTypedLayoutAsItIs() throws {
        let (directory, written) = try layout(.build, format: [])
        let index = try CopyKit.json(try String(contentsOfFile: directory + "/index.json", encoding: .utf8))
        let entries = try #require(index["manifests"] as? [[String: Any]])
        #expect(entries.contains { $0["mediaType"] as? String == "application/vnd.docker.distribution.manifest.v2+json" })
        #expect(entries.compactMap { $0["artifactType"] as? String }.sorted() == ["application/spdx+json", "application/vnd.in-toto+json"])
        try expectContainerdImports(directory, written, .build)
    }

    /// tar of the layout directory is an oci-archive; the ref name (a full reference, as skopeo
    /// and podman write it) becomes containerd's image name.
    func expectContainerdImports(_ directory: String, _ written: ConsumerImage.Written, _ image: ConsumerImage) throws {
        let archive = try TemporaryDirectory().path + "/oci-archive.tar"
        try Consumers.succeed("tar", ["-C", directory, "-cf", archive, "."])
        let output = try Containerd.importArchive(archive).stdout
        #expect(output.contains("unpacking \(written.name) (\(written.digest))"), "\(output)")
        #expect(try Containerd.digest(of: written.name) == written.digest, "containerd's digest for \(written.name)")
        #expect(Consumers.lines(try Containerd.run(written.name, image.runArguments)) == image.expectedOutput, "ctr run \(written.name)")
    }
}
