import Foundation
import Testing
import OCI
@testable import Registry

/// Names from a registry are checked against the tag grammar and shown only escaped.
@Suite("Names a registry sends")
struct RemoteNameTests {
    @Test(arguments: ["1.143.0", "latest", "_", "A", "v1.0-rc_2", "1.143.0-20250502200316-x86_64", String(repeating: "a", count: 128)])
    func validTags(_ tag: String) {
        #expect(RemoteName.isValidTag(tag))
    }

    @Test(arguments: ["", "../../../victim/app/manifests/prod", "..", ".hidden", "-dash", "a/b", "x%2Fy", "a b", "new\nline",
                      "esc\u{1b}[2J", "tab\t", "bidi\u{202e}x", "é", "a:b", "a@b", String(repeating: "a", count: 129)])
    func invalidTags(_ tag: String) {
        #expect(!RemoteName.isValidTag(tag))
    }

    @Test func escapingLeavesOnlyPrintableASCII() {
        let hostile = "x\u{1b}]0;title\u{07}\n\"q\"\\\u{202e}é" + String(repeating: "A", count: 100)
        let shown = RemoteName.escaped(hostile)
        #expect(shown.unicodeScalars.allSatisfy { (0x20...0x7e).contains($0.value) })
        #expect(shown.hasPrefix(#""x\u{1b}]0;title\u{7}\u{a}\"q\"\\\u{202e}\u{e9}AAA"#))
        #expect(shown.hasSuffix("...\""))
        #expect(RemoteName.escaped("1.0") == "\"1.0\"")
    }

    @Test func summaryIsOneLineNamingAFew() {
        let line = RemoteName.skippedSummary(["a/b", "new\nline", "..", "x%2Fy", ""], in: Repository(host: "r.test", name: "team/app"))
        #expect(line == #"r.test/team/app lists 5 tags that are not valid tag names; skipped: "a/b", "new\u{a}line", ".." and 2 more"#)
    }

    /// The last line of defence: a tag outside the grammar never reaches a manifest URL,
    /// whoever built the reference.
    @Test(arguments: ["../../../victim/app/manifests/prod", "a/b", "x%2Fy"])
    func manifestRequestsRefuseInvalidTags(_ tag: String) async throws {
        let client = RegistryClient(options: RegistryOptions(retry: .none))
        let reference = try Reference(parsing: "127.0.0.1:1/team/app").withTag(tag)
        await #expect {
            _ = try await client.fetchManifest(reference)
        } throws: { error in
            guard case RegistryError.invalidTag(let repository, let refused) = error else { return false }
            return repository == "127.0.0.1:1/team/app" && refused == tag && !"\(error)".contains("\n")
        }
    }
}
