import Foundation
import Testing
@testable import OCI

private func p(_ s: String) -> Platform { try! Platform(parsing: s) }
private func entry(_ os: String, _ arch: String, _ variant: String? = nil) -> Platform { Platform(os: os, architecture: arch, variant: variant) }

@Suite("Platform")
struct PlatformTests {
    @Test("parses", arguments: [
        ("linux/amd64", "linux", "amd64", nil as String?, "linux/amd64"),
        ("linux/arm64", "linux", "arm64", nil, "linux/arm64"),
        ("linux/arm64/v8", "linux", "arm64", "v8", "linux/arm64/v8"),
        ("linux/arm/v7", "linux", "arm", "v7", "linux/arm/v7"),
        ("linux/arm/7", "linux", "arm", "v7", "linux/arm/v7"),
        ("Linux/AMD64", "linux", "amd64", nil, "linux/amd64"),
        ("linux/x86_64", "linux", "amd64", nil, "linux/amd64"),
        ("linux/x86-64", "linux", "amd64", nil, "linux/amd64"),
        ("linux/aarch64", "linux", "arm64", nil, "linux/arm64"),
        ("linux/armhf", "linux", "arm", "v7", "linux/arm/v7"),
        ("linux/i386", "linux", "386", nil, "linux/386"),
        ("windows/amd64", "windows", "amd64", nil, "windows/amd64"),
        ("linux/ppc64le", "linux", "ppc64le", nil, "linux/ppc64le"),
        ("linux/s390x", "linux", "s390x", nil, "linux/s390x"),
        ("linux/riscv64", "linux", "riscv64", nil, "linux/riscv64"),
    ])
    func parses(_ input: String, _ os: String, _ arch: String, _ variant: String?, _ printed: String) throws {
        let platform = try Platform(parsing: input)
        #expect(platform.os == os)
        #expect(platform.architecture == arch)
        #expect(platform.variant == variant)
        #expect(platform.description == printed)
        #expect(try Platform(parsing: platform.description) == platform)
    }

    @Test("rejects", arguments: ["", "linux", "linux/", "/amd64", "linux/amd64/", "linux/amd64/v8/x", "linux//amd64",
                                 "linux/amd 64", "linux/amd64\n", "linux:amd64", "linux/amd64,linux/arm64", "linux/ämd64"])
    func rejects(_ input: String) {
        do {
            let platform = try Platform(parsing: input)
            Issue.record("accepted \(input.debugDescription) as \(platform)")
        } catch {
            #expect(error.value == input)
            #expect(!error.description.contains("\n"))
            #expect(error.description.contains("os/arch"))
        }
    }

    @Test("satisfies", arguments: [
        // entry, wanted, expected
        (entry("linux", "amd64"), p("linux/amd64"), true),
        (entry("linux", "arm64", "v8"), p("linux/amd64"), false),
        (entry("windows", "amd64"), p("linux/amd64"), false),
        // A request without a variant takes any variant.
        (entry("linux", "arm64", "v8"), p("linux/arm64"), true),
        (entry("linux", "arm", "v6"), p("linux/arm"), true),
        (entry("linux", "amd64", "v3"), p("linux/amd64"), true),
        // A request with a variant wants that variant...
        (entry("linux", "arm64", "v8"), p("linux/arm64/v8"), true),
        (entry("linux", "arm", "v7"), p("linux/arm/v7"), true),
        (entry("linux", "arm", "v6"), p("linux/arm/v7"), false),
        (entry("linux", "arm", "v7"), p("linux/arm/v6"), false),
        (entry("linux", "arm64", "v9"), p("linux/arm64/v8"), false),
        (entry("linux", "amd64", "v3"), p("linux/amd64/v2"), false),
        // ...and the architecture's default variant is implied when an entry leaves it out.
        (entry("linux", "arm64"), p("linux/arm64/v8"), true),
        (entry("linux", "arm"), p("linux/arm/v7"), true),
        (entry("linux", "arm"), p("linux/arm/v6"), false),
        (entry("linux", "amd64"), p("linux/amd64/v1"), true),
        (entry("linux", "amd64"), p("linux/amd64/v2"), false),
        (entry("linux", "arm64", "8"), p("linux/arm64/v8"), true),
        (entry("linux", "ppc64le"), p("linux/ppc64le/power9"), false),
        // Aliases
        (entry("linux", "amd64"), p("linux/x86_64"), true),
        (entry("linux", "arm64", "v8"), p("linux/aarch64"), true),
        (entry("Linux", "AMD64"), p("linux/amd64"), true),
        // Attestation manifests
        (entry("unknown", "unknown"), p("linux/amd64"), false),
    ])
    func satisfies(_ entry: Platform, _ wanted: Platform, _ expected: Bool) {
        #expect(entry.satisfies(wanted) == expected, "\(entry) satisfies \(wanted)")
    }

    @Test func codableUsesDottedKeys() throws {
        let json = #"{"architecture":"amd64","os":"windows","os.features":["win32k"],"os.version":"10.0.17763.1879","variant":"v2"}"#
        let platform = try JSONDecoder().decode(Platform.self, from: Data(json.utf8))
        #expect(platform.osVersion == "10.0.17763.1879")
        #expect(platform.osFeatures == ["win32k"])
        #expect(platform.variant == "v2")
        let encoded = try CanonicalJSON.encode(platform)
        #expect(String(decoding: encoded, as: UTF8.self) == json)
        let minimal = try CanonicalJSON.encode(Platform.linuxAMD64)
        #expect(String(decoding: minimal, as: UTF8.self) == #"{"architecture":"amd64","os":"linux"}"#)
    }

    @Test func indexChildSelection() throws {
        let d1 = Digest.of(Array("1".utf8)), d2 = Digest.of(Array("2".utf8)), d3 = Digest.of(Array("3".utf8)), d4 = Digest.of(Array("4".utf8))
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: [
            Descriptor(mediaType: MediaType.ociManifest, digest: d1, size: 1, platform: entry("linux", "arm64", "v8")),
            Descriptor(mediaType: MediaType.ociManifest, digest: d2, size: 1, platform: nil),
            Descriptor(mediaType: MediaType.ociManifest, digest: d3, size: 1, platform: entry("linux", "amd64")),
            Descriptor(mediaType: MediaType.ociManifest, digest: d4, size: 1, platform: entry("unknown", "unknown"),
                       annotations: ["vnd.docker.reference.type": "attestation-manifest"]),
        ])
        #expect(index.child(for: .linuxAMD64)?.digest == d3)
        #expect(index.child(for: p("linux/arm64"))?.digest == d1)
        #expect(index.child(for: p("linux/arm64/v8"))?.digest == d1)
        #expect(index.child(for: p("linux/s390x")) == nil)
    }
}
