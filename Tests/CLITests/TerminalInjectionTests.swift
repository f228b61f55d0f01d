import Foundation
import Testing
import TestSupport

/// Terminal injection: an image's config (Env, Labels, Entrypoint, Cmd, WorkingDir, User,
/// history), its os-release and its file names once reached the terminal raw: ESC sequences
/// (window title, clear screen), carriage returns and newlines that forge lines (a fake
/// `Entrypoint:`, a fake setuid file), C1 controls, DEL and bidi overrides. Every human view
/// escapes them; `--json` keeps the values exactly (JSON escapes them itself).
@Suite("inspect: terminal injection", .enabled(if: TestWorld.available))
struct TerminalInjectionTests {
    static let title = "\u{1b}]0;owned\u{07}"
    static let clear = "\u{1b}[2J\u{1b}[H"
    static let hostileEnv = ["PATH=/usr/bin", "A=\(title)", "B=x\nEntrypoint:   [\"/bin/evil\"]", "C=\u{202e}txt.exe", "D=del\u{7f} csi\u{9b}31m"]
    static let hostileLabels = ["org.example\r\u{1b}[8m": "hidden\u{1b}[0m", "ok": "line\u{2028}sep"]
    static let hostileEntrypoint = ["/bin/sh\", \"-c", "\(clear)rm -rf /"]
    static let hostileHistory = "/bin/sh -c true\n-rwsr-xr-x 0/0 0 /usr/bin/sudo"
    static let hostileName = "opt/x\n-rwsr-xr-x 0/0          0 /usr/bin/sudo"

    static func image() throws -> HostileImage.Built {
        let files = try HostileImage.tar([
            ("etc/os-release", "ID=amzn\nVERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\(clear)\"\n"),
            (hostileName, "x"), ("opt/\(title)", "y"), ("opt/back\\slash", "z"),
        ])
        let config: [String: Any] = ["Env": hostileEnv, "Labels": hostileLabels, "Entrypoint": hostileEntrypoint,
                                     "Cmd": ["\u{1b}[31mred"], "WorkingDir": "/w\u{1b}[1m", "User": "root\r"]
        return try HostileImage.layout([.init(bytes: try HostileImage.gzip(files), uncompressed: files)], config: config,
                                       createdBy: [hostileHistory])
    }

    /// No raw control character, separator or bidi control anywhere but the line ends.
    static func expectClean(_ text: String, _ what: String) {
        let bad = text.unicodeScalars.filter { scalar in
            let value = scalar.value
            return (value < 0x20 && value != 0x0a) || value == 0x7f || (0x80...0x9f).contains(value)
                || value == 0x2028 || value == 0x2029 || (0x202a...0x202e).contains(value) || (0x2066...0x2069).contains(value)
        }
        #expect(bad.isEmpty, "\(what): raw \(bad.map { String($0.value, radix: 16) })")
    }

    @Test func configAndOSReleaseAreEscapedInTheHumanView() throws {
        let image = try Self.image()
        let reference = try HostileImage.push(image, prefix: "hostile-terminal")
        for location in [reference, image.location] {
            let text = try CopyKit.succeed(["inspect", "--os-release", location]).stdout
            Self.expectClean(text, location)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.filter { $0.hasPrefix("Entrypoint:") }.count == 1, "\(text)")
            for expected in ["  A=\\u{1b}]0;owned\\u{7}", "  B=x\\nEntrypoint:   [\"/bin/evil\"]", "  C=\\u{202e}txt.exe",
                             "  D=del\\u{7f} csi\\u{9b}31m",
                             #"Entrypoint:   ["/bin/sh\", \"-c", "\u{1b}[2J\u{1b}[Hrm -rf /"]"#, #"Cmd:          ["\u{1b}[31mred"]"#,
                             "WorkingDir:   /w\\u{1b}[1m", "User:         root\\r", "  ok=line\\u{2028}sep",
                             "  org.example\\r\\u{1b}[8m=hidden\\u{1b}[0m",
                             "OS:           Amazon Linux 2\\u{1b}[2J\\u{1b}[H (/etc/os-release in layer 0)"] {
                #expect(lines.contains { $0 == expected || $0.hasPrefix(expected) }, "missing \(expected) in\n\(text)")
            }
            // The history row stays one row: the forged setuid line is part of it, escaped.
            #expect(lines.contains { $0.contains("/bin/sh -c true\\n-rwsr-xr-x 0/0 0 /usr/bin/sudo") }, "\(text)")
            #expect(!lines.contains { $0.hasPrefix("-rwsr-xr-x") })
        }
        // JSON keeps every value exactly.
        struct Report: Decodable {
            struct Config: Decodable { var Env: [String]; var Labels: [String: String]; var Entrypoint: [String]; var User: String }
            struct Layer: Decodable { var createdBy: String? }
            var config: Config
            var layers: [Layer]
        }
        let json = try JSONDecoder().decode(Report.self, from: Data(try CopyKit.succeed(["inspect", "--json", reference]).stdout.utf8))
        #expect(json.config.Env == Self.hostileEnv && json.config.Labels == Self.hostileLabels)
        #expect(json.config.Entrypoint == Self.hostileEntrypoint && json.config.User == "root\r")
        #expect(json.layers.first?.createdBy == Self.hostileHistory)
    }

    @Test func fileNamesAreEscapedInListings() throws {
        let reference = try HostileImage.push(try Self.image(), prefix: "hostile-terminal-files")
        for files in ["0", "all"] {
            let text = try CopyKit.succeed(["inspect", "--files", files, reference]).stdout
            Self.expectClean(text, "--files \(files)")
            let lines = CopyKit.collapsed(text)
            // Four entries; merged, the parents too (the forged name's slashes make directories).
            #expect(lines.count == (files == "0" ? 4 : 10), "\(text)")
            #expect(!lines.contains { $0.hasPrefix("-rwsr-xr-x") }, "a forged line: \(text)")
            #expect(lines.contains { $0.hasSuffix(" /opt/x\\n-rwsr-xr-x 0/0 0 /usr/bin/sudo") }, "\(text)")
            #expect(lines.contains { $0.hasSuffix(" /opt/\\u{1b}]0;owned\\u{7}") }, "\(text)")
            #expect(lines.contains { $0.hasSuffix(" /opt/back\\\\slash") }, "\(text)")
        }
        struct Listing: Decodable { struct Files: Decodable { var entries: [Entry] }; struct Entry: Decodable { var path: String }; var files: Files }
        let json = try JSONDecoder().decode(Listing.self, from: Data(try CopyKit.succeed(["inspect", "--json", "--files", "0", reference]).stdout.utf8))
        #expect(Set(json.files.entries.map(\.path)).isSuperset(of: ["/" + Self.hostileName, "/opt/\(Self.title)", "/opt/back\\slash"]))
    }

    /// Error lines quote hostile names escaped too (here an unsafe name, through the merged view).
    @Test func errorsQuoteNamesEscaped() throws {
        let tar = try HostileImage.tar([("../\(Self.clear)evil", "x")])
        let image = try HostileImage.layout([.init(bytes: try HostileImage.gzip(tar), uncompressed: tar)])
        let result = try CopyKit.samforge(["inspect", "--files", "all", image.location])
        #expect(result.status == 1)
        Self.expectClean(result.stderr, "stderr")
        #expect(CopyKit.errorLine(result).contains("has an unsafe entry \"../\\u{1b}[2J\\u{1b}[Hevil\""), "\(result.stderr)")
    }
}
