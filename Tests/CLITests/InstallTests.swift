import Foundation
import Testing
import TestSupport

/// `scripts/install PREFIX` (scripts/test runs it into the test world): a binary that needs no
/// Swift toolchain (the standard library linked in), its man page and shell completions.
@Suite("scripts/install", .enabled(if: TestWorld.available))
struct InstallTests {
    static var prefix: String { ProcessInfo.processInfo.environment["SAMFORGE_TEST_RELEASE_PREFIX"] ?? "" }

    @Test func theInstalledBinaryNeedsNoSwiftToolchain() throws {
        try #require(!Self.prefix.isEmpty, "scripts/test installs the release binary and names it in SAMFORGE_TEST_RELEASE_PREFIX")
        let binary = Self.prefix + "/bin/samforge"
        let libraries = try Command.run("/usr/bin/ldd", [binary])
        #expect(libraries.status == 0)
        #expect(!libraries.stdout.contains("libswift") && !libraries.stdout.contains("/opt/swift"), "\(libraries.stdout)")
        // Only the Debian libraries the README's Install section names.
        let allowed = ["linux-vdso", "libcurl.so.4", "libarchive.so.13", "libcrypto.so.3", "libsodium.so.23", "libz.so.1", "libzstd.so.1",
                       "libstdc++.so.6", "libgcc_s.so.1",
                       "libm.so.6", "libc.so.6", "ld-linux-x86-64.so.2"]
        let needed = try Command.run("/usr/bin/readelf", ["-d", binary]).stdout.split(separator: "\n")
            .compactMap { $0.firstMatch(of: /NEEDED.*\[(.+)\]/).map { String($0.1) } }
        #expect(!needed.isEmpty && needed.allSatisfy { name in allowed.contains { name.hasPrefix($0) } }, "\(needed)")
        let version = try Command.run(binary, ["version"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(version.status == 0 && !version.stdout.isEmpty)
    }

    @Test func manPageAndCompletionsAreInstalled() throws {
        try #require(!Self.prefix.isEmpty)
        let manual = Self.prefix + "/share/man/man1/samforge.1"
        #expect(try String(contentsOfFile: manual, encoding: .utf8).contains("samforge"))
        #expect(try String(contentsOfFile: Self.prefix + "/share/bash-completion/completions/samforge", encoding: .utf8).contains("samforge"))
        #expect(FileManager.default.fileExists(atPath: Self.prefix + "/share/zsh/site-functions/_samforge"))
    }
}
