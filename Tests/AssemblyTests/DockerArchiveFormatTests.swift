import OCI
import Testing
@testable import Assembly

@Suite struct DockerArchiveFormatTests {
    @Test(arguments: [
        ("docker.io/library/alpine:3.20", "alpine:3.20"),
        ("alpine", "alpine:latest"),
        ("harness/aws-sam-plugin:1.1.2", "harness/aws-sam-plugin:1.1.2"),
        ("public.ecr.aws/sam/build-python3.12:1.143.0", "public.ecr.aws/sam/build-python3.12:1.143.0"),
        ("localhost:5000/team/app:v1", "localhost:5000/team/app:v1"),
    ])
    func repoTagIsTheFamiliarName(reference: String, expected: String) throws {
        let parsed = try Reference(parsing: reference)
        #expect(DockerArchiveFormat.repoTag(parsed) == expected)
        #expect(DockerArchiveFormat.matches(expected, parsed))
    }

    /// A name the archive does not hold is said as its RepoTags are written (`alpine:3.20`),
    /// so it reads next to the ones listed as available.
    @Test func aMissingNameIsSaidAsARepoTag() throws {
        let entries = [DockerArchiveFormat.ImageEntry(Config: "c", RepoTags: ["alpine:3.20"], Layers: [])]
        #expect(try DockerArchiveSource.select(entries, reference: try Reference(parsing: "alpine:3.20"), what: "a.tar").RepoTags == ["alpine:3.20"])
        #expect {
            _ = try DockerArchiveSource.select(entries, reference: try Reference(parsing: "alpine:3.21"), what: "a.tar")
        } throws: { error in
            String(describing: error).contains("a.tar: no image tagged alpine:3.21 in the archive (available: alpine:3.20)")
        }
    }

    @Test func digestOnlyReferenceHasNoRepoTag() throws {
        let pinned = try Reference(parsing: "example.com/a@sha256:" + String(repeating: "a", count: 64))
        #expect(DockerArchiveFormat.repoTag(pinned) == nil)
    }

    /// Every blob where Docker 25 saves it: the OCI layout path, whatever its kind.
    @Test func membersAreLayoutBlobPaths() {
        let digest = Digest.of(Array("x".utf8))
        #expect(DockerArchiveFormat.memberName(for: digest) == "blobs/sha256/" + digest.hex)
    }

    @Test(arguments: [("out/app.tar", "app:latest"), ("My Image.v2.tar", "my-image:latest"), ("/tmp/.tar", "image:latest"),
                      ("__.tar", "image:latest"), ("sam-build_1.tar.gz", "sam-build-1:latest")])
    func anUnnamedArchiveIsNamedAfterItsFile(file: String, expected: String) throws {
        let name = DockerArchiveFormat.defaultRepoTag(forFile: file)
        #expect(name == expected)
        #expect(try Reference(parsing: name).tag == "latest")
    }

    @Test func compressionIsSniffedFromMagicNumbers() {
        #expect(DockerArchiveFormat.compression(ofPrefix: [0x1f, 0x8b, 8, 0]) == .gzip)
        #expect(DockerArchiveFormat.compression(ofPrefix: [0x28, 0xb5, 0x2f, 0xfd]) == .zstd)
        #expect(DockerArchiveFormat.compression(ofPrefix: Array("etc/".utf8)) == .none)
        #expect(DockerArchiveFormat.compression(ofPrefix: []) == .none)
    }

    @Test func zstdLayersMakeTheRebuiltManifestOCI() {
        let docker = DockerArchiveFormat.Flavour(oci: false), oci = DockerArchiveFormat.Flavour(oci: true)
        #expect(docker.manifestType == MediaType.dockerManifest && docker.layerType(.gzip) == MediaType.dockerLayerGzip)
        #expect(oci.manifestType == MediaType.ociManifest && oci.configType == MediaType.ociConfig && oci.layerType(.zstd) == MediaType.ociLayerZstd)
    }

    @Test(arguments: [
        ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.tar.gz", true),
        ("blobs/sha256/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true),
        ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/layer.tar", false),
        ("layer.tar", false),
    ])
    func digestsAreTakenOnlyFromContentAddressedNames(name: String, named: Bool) {
        #expect((DockerArchiveSource.digestInName(name) != nil) == named)
    }
}
