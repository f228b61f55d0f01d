import Foundation
import Testing
import TestSupport

/// Names that are not UTF-8: `x\xff` and `x\xfe` once both became `x\u{FFFD}` and one replaced
/// the other in a copied layer. `inspect` shows them apart, escaped; copying one is refused
/// with one line; the UTF-8 rest of the image copies as before.
@Suite("hostile layers: names that are not UTF-8", .enabled(if: TestWorld.available))
struct HostileNameTests {
    struct Listing: Decodable {
        struct Files: Decodable { var entries: [Entry] }
        struct Entry: Decodable { var path: String; var escaped: Bool? }
        var files: Files
    }

    @Test func strayBytesStayApartAndAreNotCopied() throws {
        // latin-1 code points stand for bytes here: U+00FF is the byte 0xff.
        let tar = try HostileImage.tar([("opt/x\u{ff}", "ff"), ("opt/x\u{fe}", "fe"), ("ok/plain", "p")])
        let reference = try HostileImage.push(try HostileImage.layout([.init(bytes: try HostileImage.gzip(tar), uncompressed: tar)]),
                                              prefix: "hostile-names")
        for files in ["0", "all"] {
            let lines = CopyKit.collapsed(try CopyKit.succeed(["inspect", "--files", files, reference]).stdout)
            #expect(lines.contains { $0.hasSuffix(" 2 /opt/x\\xff") } && lines.contains { $0.hasSuffix(" 2 /opt/x\\xfe") }, "\(lines)")
            let json = try JSONDecoder().decode(Listing.self, from: Data(try CopyKit.succeed(["inspect", "--json", "--files", files, reference]).stdout.utf8))
            #expect(json.files.entries.filter { $0.escaped == true }.map(\.path).sorted() == ["/opt/x\\xfe", "/opt/x\\xff"])
            #expect(json.files.entries.first { $0.path == "/ok/plain" }?.escaped == nil)
        }

        let target = CopyKit.newRepository("hostile-names-out")
        let cache = try CopyKit.temporaryDirectory()
        let refused = try CopyKit.samforge(["append", "-q", "--copy-from", "\(reference):/opt", "--cache-dir", cache,
                                            "\(TestWorld.plain)/\(InspectViewTests.plugin)", target + ":opt"])
        #expect(refused.status == 1)
        #expect(CopyKit.errorLine(refused).contains("cannot copy \"/opt/x\\xf"), "\(refused.stderr)")
        #expect(CopyKit.errorLine(refused).hasSuffix("its name or link target is not UTF-8 (stray bytes shown as \\xNN); new layers hold UTF-8 names only"))
        #expect(try BuildHarness.hasNoTags(target))

        try CopyKit.succeed(["append", "-q", "--copy-from", "\(reference):/ok", "--cache-dir", cache,
                             "\(TestWorld.plain)/\(InspectViewTests.plugin)", target + ":ok"])
        let lines = CopyKit.collapsed(try CopyKit.succeed(["inspect", "--files", "all", target + ":ok"]).stdout)
        #expect(lines.contains { $0.hasSuffix(" /ok/plain") } && !lines.contains { $0.contains("/opt/x") })
    }
}
