import OCI
import Testing
@testable import Assembly

/// Locations as peers write them (skopeo's `oci:DIR:REF` splits at the first ':'), and the
/// hints for what people type from other tools.
@Suite struct ImageLocationTests {
    @Test(arguments: [
        ("oci:./layout", ImageLocation.ociLayout(directory: "./layout", reference: nil)),
        ("oci:/srv/l:1.0", .ociLayout(directory: "/srv/l", reference: "1.0")),
        ("oci:/srv/l:example.test/a:1", .ociLayout(directory: "/srv/l", reference: "example.test/a:1")),
        ("oci:/srv/l:localhost:5000/a/b:2", .ociLayout(directory: "/srv/l", reference: "localhost:5000/a/b:2")),
        ("scratch", .scratch),
    ])
    func parses(_ text: String, _ expected: ImageLocation) throws {
        #expect(try ImageLocation(parsing: text) == expected)
        #expect(try ImageLocation(parsing: text).description == text)
    }

    @Test func dockerArchiveTakesAFullReference() throws {
        let location = try ImageLocation(parsing: "docker-archive:a.tar:example.test:5000/team/app:1")
        #expect(location == .dockerArchive(file: "a.tar", reference: try Reference(parsing: "example.test:5000/team/app:1")))
    }

    @Test(arguments: [
        ("https://registry.example.com/team/app:1", "write registry.example.com/team/app:1"),
        ("http://localhost:5000/app", "write localhost:5000/app"),
        ("oci:", "oci: needs a directory"),
        ("oci:/l:bad tag", "is neither a tag nor an image reference"),
        ("containers-storage:alpine", "unsupported location"),
        ("s3:bucket/x", #"unknown location prefix "s3:""#),
    ])
    func refusesWithAHint(_ text: String, _ message: String) {
        #expect {
            _ = try ImageLocation(parsing: text)
        } throws: { error in
            String(describing: error).contains(message) && errorKind(of: error) == .usage
        }
    }
}
