import Layers
import OCI
import Testing
import TestSupport
@testable import Assembly

@Suite struct OSReleaseTests {
    @Test(arguments: [
        ("ID=\"amzn\"\nVERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\n", "2", ["yum"]),
        ("ID=amzn\nVERSION_ID='2023'\n", "2023", ["dnf", "microdnf"]),
        ("# comment\nID=\"amzn\"\nVERSION_ID=\"2023.7.20250512\"\n", "2023", ["dnf", "microdnf"]),
        ("ID=debian\nVERSION_ID=\"12\"\n", nil, nil),
    ])
    func amazonLinuxGenerationAndPackageManagers(text: String, generation: String?, managers: [String]?) {
        let release = OSRelease(parsing: text, layer: 0)
        #expect(release.amazonLinuxGeneration == generation)
        #expect(release.packageManagers == managers)
    }

    @Test func prettyNameIsUnquoted() {
        #expect(OSRelease(parsing: "PRETTY_NAME=\"Amazon Linux 2\"", layer: 3).prettyName == "Amazon Linux 2")
    }

    /// AL2023 ships /etc/os-release as a symlink to ../usr/lib/os-release.
    @Test func followsTheEtcSymlinkAndStopsAtTheLowestLayer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let lower: [LayerEntrySpec] = [
            .symlink("/etc/os-release", to: "../usr/lib/os-release"),
            .bytes("/usr/lib/os-release", Array("ID=\"amzn\"\nVERSION_ID=\"2023\"\n".utf8)),
        ]
        let upper: [LayerEntrySpec] = [.bytes("/etc/os-release", Array("ID=\"other\"\n".utf8))]
        let image = try LocalImages.image([[.bytes("/readme", [])], lower, upper], docker: false, in: directory)
        let release = try await OSRelease.detect(layers: image.layers, from: LocalImages.source(image))
        #expect(release?.amazonLinuxGeneration == "2023")
        #expect(release?.layer == 1)
    }

    @Test func imageWithoutOSReleaseHasNone() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let image = try LocalImages.image([[.bytes("/readme", [])]], docker: false, in: directory)
        #expect(try await OSRelease.detect(layers: image.layers, from: LocalImages.source(image)) == nil)
    }

    @Test(arguments: [("../usr/lib/os-release", "usr/lib/os-release"), ("/usr/lib/os-release", "usr/lib/os-release"), ("./os-release.d/x", "etc/os-release.d/x")])
    func symlinkTargetsResolveFromEtc(target: String, expected: String) {
        #expect(OSRelease.Finder.resolve(target, from: "etc") == expected)
    }
}
