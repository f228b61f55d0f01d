import Foundation
import Testing
import TestSupport

/// `scripts/image`: samforge's own image, built by samforge from nothing, packing the release
/// binary scripts/test installed (no Swift toolchain in the image: the standard library is
/// linked in); unpacked by umoci and run with a chroot as its non-root uid: `samforge
/// version`, and an `inspect` of a test-registry image.
@Suite("samforge's own image", .enabled(if: TestWorld.available))
struct OwnImageTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/image").path

    @Test func theImageRunsSamforgeAsItsNonRootUser() throws {
        let directory = try TemporaryDirectory().path
        try #require(!InstallTests.prefix.isEmpty, "scripts/test installs the release binary and names it in SAMFORGE_TEST_RELEASE_PREFIX")
        let built = try Command.run(Self.script, ["oci:\(directory)/image:1"], environment: ProcessInfo.processInfo.environment
            .merging(["SAMFORGE_IMAGE_BINARY": InstallTests.prefix + "/bin/samforge"]) { _, new in new })
        try #require(built.status == 0, "\(built.stderr)")
        #expect(built.lastLine.hasPrefix("oci:\(directory)/image:1@sha256:"), "\(built.stdout)")
        #expect(try ImageValidation.problem("oci:\(directory)/image:1") == nil)

        let config = try CopyKit.json(try CopyKit.shell("skopeo inspect --config oci:\"$1\"", ["\(directory)/image:1"]))
        let container = try #require(config["config"] as? [String: Any])
        #expect(container["User"] as? String == "65532:65532")
        #expect(container["Entrypoint"] as? [String] == ["/usr/local/bin/samforge"])
        let labels = container["Labels"] as? [String: String] ?? [:]
        #expect(labels["org.opencontainers.image.version"] != nil && labels["org.opencontainers.image.revision"] != nil
                && labels["org.opencontainers.image.source"] != nil)

        _ = try CopyKit.shell("umoci unpack --rootless --image \"$1\" \"$2\"", ["\(directory)/image:1", directory + "/bundle"])
        let rootfs = directory + "/bundle/rootfs"
        #expect(try String(contentsOfFile: rootfs + "/etc/passwd", encoding: .utf8).contains(":65532:65532:"))
        #expect(FileManager.default.fileExists(atPath: rootfs + "/etc/ssl/certs/ca-certificates.crt"))
        #expect(!FileManager.default.fileExists(atPath: rootfs + "/opt/swift"), "no Swift toolchain in the image")
        // /proc mounted in a namespace of its own (the runtime would), then the image's uid.
        func run(_ arguments: [String]) throws -> CommandResult {
            try Command.run("/usr/bin/unshare", ["--mount", "--pid", "--fork", "--mount-proc=\(rootfs)/proc",
                                                 "chroot", "--userspec=65532:65532", rootfs] + arguments)
        }
        let version = try run(["/usr/local/bin/samforge", "version"])
        #expect(version.status == 0 && version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).range(of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression) != nil,
                "\(version.stdout)\(version.stderr)")
        let inspect = try run(["/usr/local/bin/samforge", "inspect", "--no-os-release", "\(TestWorld.plain)/\(BuildHarness.pythonBase)"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("Platform:     linux/amd64"), "\(inspect.stdout)")
        let user = try run(["/bin/sh", "-c", "id -u && touch /tmp/w && ! touch /etc/w 2>/dev/null"])
        #expect(user.status == 0 && user.stdout.hasPrefix("65532"), "\(user.stdout)\(user.stderr)")
    }
}
