import Foundation
import Testing
import TestSupport

/// `samforge inspect`'s views (JSON, raw bytes, config, layer files, merged filesystem, SAM
/// details) against the fixtures, checked with skopeo, sha256sum, curl and python's tarfile.
@Suite("inspect views", .enabled(if: TestWorld.available))
struct InspectViewTests {
    static let nodeList = "sam/build-nodejs18.x:1.143.0"
    static let nodeAMD64 = "sam/build-nodejs18.x:1.143.0-20250502200316-x86_64"
    static let pythonIndex = "sam/build-python3.12:1.143.0"
    static let plugin = "harness/aws-sam-plugin:1.1.2-beta-base-image"
    static let dockerIndex = "library/docker:26.0.1-cli"
    var plain: String { TestWorld.plain }

    struct Report: Decodable {
        struct Layer: Decodable { var index: Int; var digest: String; var size: Int; var diffID: String?; var createdBy: String? }
        struct SAM: Decodable { var runtime: String; var version: String; var amazonLinux: String?; var packageManagers: [String]? }
        struct OSRelease: Decodable { var id: String?; var versionID: String?; var layer: Int }
        struct Files: Decodable { var layer: Int?; var layerDigest: String?; var merged: Bool; var entries: [Entry] }
        struct Entry: Decodable {
            var path: String; var type: String; var mode: String; var modeString: String; var uid: Int; var gid: Int; var size: Int
            var linkTarget: String?; var whiteout: String?; var hides: String?; var layer: Int?
        }
        var digest: String
        var manifestDigest: String
        var configDigest: String
        var layers: [Layer]
        var sam: SAM?
        var osRelease: OSRelease?
        var files: Files?
    }

    func report(_ arguments: [String]) throws -> Report {
        let result = try CopyKit.succeed(["inspect", "--json"] + arguments)
        return try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
    }

    @Test("inspect --json layer digests equal skopeo's", arguments: [nodeAMD64, nodeList, pythonIndex, plugin, dockerIndex])
    func layerDigestsMatchSkopeo(name: String) throws {
        let ours = try report(["\(plain)/\(name)"])
        // skopeo resolves an index to this machine's platform, linux/amd64, as inspect does by default.
        let skopeo = try CopyKit.skopeoInspect("docker://\(plain)/\(name)")
        #expect(ours.layers.map(\.digest) == skopeo["Layers"] as? [String])
        #expect(ours.digest == skopeo["Digest"] as? String)
        #expect(ours.layers.map(\.index) == Array(0..<ours.layers.count))
    }

    @Test func rawPrintsTheStoredBytes() throws {
        let list = try CopyKit.fixture(Self.nodeList)
        #expect(try CopyKit.samforgeOutputDigest(["inspect", "--raw", "\(plain)/\(Self.nodeList)"]) == list.digest)
        #expect(try CopyKit.samforgeOutputDigest(["inspect", "--raw", "--platform", "linux/arm64", "\(plain)/\(Self.nodeList)"])
                == list.manifests?["linux/arm64"])
        // An index without amd64 still prints raw (no platform is resolved without --platform).
        let armOnly = try CopyKit.fixture("sam/build-ruby3.2:1.143.0-arm64only")
        #expect(try CopyKit.samforgeOutputDigest(["inspect", "--raw", "\(plain)/sam/build-ruby3.2:1.143.0-arm64only"]) == armOnly.digest)
    }

    @Test func configPrintsTheConfigBytes() throws {
        let amd64 = try CopyKit.fixture(Self.nodeAMD64)
        #expect(try CopyKit.samforgeOutputDigest(["inspect", "--config", "\(plain)/\(Self.nodeList)"]) == amd64.config_digest)
        #expect(try CopyKit.samforgeOutputDigest(["inspect", "--config", "\(plain)/\(Self.nodeAMD64)"]) == amd64.config_digest)
    }

    @Test func filesOfOneLayerLookLikeTarTV() throws {
        let fixture = try CopyKit.fixture(Self.nodeAMD64)
        let result = try CopyKit.succeed(["inspect", "--files", "2", "\(plain)/\(Self.nodeAMD64)"])
        #expect(CopyKit.collapsed(result.stdout) == [
            "drwxr-xr-x 0/0 0 /etc",
            "-rw-r--r-- 0/0 0 /etc/.wh.motd [whiteout /etc/motd]",
            "drwxr-xr-x 0/0 0 /opt",
            "drwxr-xr-x 0/0 0 /opt/stale",
            "-rw-r--r-- 0/0 0 /opt/stale/.wh..wh..opq [opaque /opt/stale]",
            "-rw-r--r-- 0/0 8 /opt/stale/c.txt",
        ])
        // The same entries as python's tarfile lists in the blob itself.
        let layer = try #require(fixture.layers?[2])
        let names = try CopyKit.shell("""
            curl -fsS "http://$1/v2/sam/build-nodejs18.x/blobs/$2" | python3 -c 'import sys,tarfile; print("\\n".join("/" + m.name.strip("./") for m in tarfile.open(fileobj=sys.stdin.buffer, mode="r|gz")))'
            """, [plain, layer])
        #expect(names.split(separator: "\n").map(String.init) == CopyKit.collapsed(result.stdout).map { String($0.split(separator: " ")[3]) })

        // A digest prefix names the same layer.
        let byDigest = try CopyKit.succeed(["inspect", "--files", String(layer.dropFirst(7).prefix(12)), "\(plain)/\(Self.nodeAMD64)"])
        #expect(byDigest.stdout == result.stdout)
    }

    @Test func filesShowLinksModesAndOddNames() throws {
        let lines = CopyKit.collapsed(try CopyKit.succeed(["inspect", "--files", "1", "\(plain)/\(Self.nodeAMD64)"]).stdout)
        #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x 0/0 ") && $0.hasSuffix(" /var/lang/bin/node") })
        #expect(lines.contains("hrwxr-xr-x 0/0 0 /var/lang/bin/nodejs link to /var/lang/bin/node"))
        #expect(lines.contains("lrwxrwxrwx 0/0 0 /var/lang/bin/npm -> node"))
        #expect(lines.contains("lrwxrwxrwx 0/0 0 /usr/local/bin/node -> /var/lang/bin/node"))
        #expect(lines.contains { $0.hasSuffix(" /var/lang/share/café-ü.txt") })
        #expect(lines.contains { $0.contains("/some-deeply-nested-dependency/lib/package-metadata.json") })
        let base = CopyKit.collapsed(try CopyKit.succeed(["inspect", "--files", "0", "\(plain)/\(Self.nodeAMD64)"]).stdout)
        #expect(base.contains("drwxrwxrwt 0/0 0 /tmp"))
    }

    @Test func filesAllShowsTheMergedFilesystem() throws {
        let lines = CopyKit.collapsed(try CopyKit.succeed(["inspect", "--files", "all", "\(plain)/\(Self.nodeList)"]).stdout)
        func layer(of path: String) -> Int? {
            lines.first { $0.hasSuffix(" " + path) || $0.contains(" " + path + " -> ") || $0.contains(" " + path + " link to ") }
                .flatMap { Int($0.split(separator: " ")[0]) }
        }
        #expect(layer(of: "/opt/stale/c.txt") == 2)
        #expect(layer(of: "/opt/stale/a.txt") == nil)
        #expect(layer(of: "/etc/motd") == nil)
        #expect(layer(of: "/etc/.wh.motd") == nil)
        #expect(layer(of: "/etc/os-release") == 0)
        #expect(layer(of: "/var/lang/bin/node") == 1)
        #expect(layer(of: "/var/lang/bin/npm") == 1)
    }

    @Test func filesAsJSON() throws {
        let single = try #require(try report(["--files", "2", "\(plain)/\(Self.nodeAMD64)"]).files)
        #expect(single.layer == 2 && !single.merged)
        let whiteout = try #require(single.entries.first { $0.path == "/etc/.wh.motd" })
        #expect(whiteout.whiteout == "whiteout" && whiteout.hides == "/etc/motd" && whiteout.mode == "0644")
        #expect(single.entries.first { $0.path == "/opt/stale/.wh..wh..opq" }?.whiteout == "opaque")

        let merged = try #require(try report(["--files", "all", "\(plain)/\(Self.nodeAMD64)"]).files)
        #expect(merged.merged && merged.layer == nil)
        let link = try #require(merged.entries.first { $0.path == "/var/lang/bin/nodejs" })
        #expect(link.type == "hardlink" && link.linkTarget == "/var/lang/bin/node" && link.layer == 1)
        #expect(merged.entries.first { $0.path == "/tmp" }?.modeString == "drwxrwxrwt")
    }

    @Test func samImagesNameTheirAmazonLinux() throws {
        let node = try report(["\(plain)/\(Self.nodeList)"])
        #expect(node.sam?.runtime == "nodejs18.x" && node.sam?.version == "1.143.0")
        #expect(node.sam?.amazonLinux == "2" && node.sam?.packageManagers == ["yum"])
        #expect(node.osRelease?.layer == 0)
        let python = try report(["\(plain)/\(Self.pythonIndex)"])
        #expect(python.sam?.amazonLinux == "2023" && python.sam?.packageManagers == ["dnf", "microdnf"])

        let skipped = try report(["--no-os-release", "\(plain)/\(Self.nodeList)"])
        #expect(skipped.osRelease == nil && skipped.sam?.amazonLinux == nil)
        // Not a SAM image: no layer is read unless asked.
        #expect(try report(["\(plain)/\(Self.plugin)"]).osRelease == nil)
    }

    @Test func humanViewShowsConfigAndLayerTable() throws {
        let text = try CopyKit.succeed(["inspect", "\(plain)/\(Self.nodeAMD64)"]).stdout
        for expected in ["Platform:     linux/amd64", "SAM:          runtime nodejs18.x, SAM CLI 1.143.0, Amazon Linux 2 (yum)",
                         "OS:           Amazon Linux 2 (/etc/os-release in layer 0)", "Env:", "  LANG=en_US.UTF-8",
                         "Entrypoint:   []", "Cmd:          [\"/bin/bash\"]", "WorkingDir:   /var/task", "Labels:", "  maintainer=fixture",
                         "Layers:       3 (1.0 MB)"] {
            #expect(text.contains(expected), "missing \(expected) in\n\(text)")
        }
        let rows = CopyKit.collapsed(text).filter { $0.hasPrefix("0 ") || $0.hasPrefix("1 ") || $0.hasPrefix("2 ") }
        #expect(rows.count == 3)
        #expect(rows.first?.hasPrefix("0 1822955e9773 1.0 MB /bin/sh -c #(nop) ADD file:al2-base in /") == true)
    }

    /// An index's platforms: one per line, the digests in one column (linux/arm64/v8 is longer).
    @Test func humanViewAlignsAnIndexsPlatforms() throws {
        let text = try CopyKit.succeed(["inspect", "--no-os-release", "\(plain)/\(Self.dockerIndex)"]).stdout
        let rows = text.split(separator: "\n").drop { $0 != "Platforms:" }.dropFirst().prefix { $0.hasPrefix("  ") }
        #expect(rows.count == 2, "\(text)")
        #expect(Set(rows.map { $0.firstRange(of: "sha256:")?.lowerBound.utf16Offset(in: $0) ?? -1 }) == [18], "\(text)")
        #expect(rows.first?.hasPrefix("  linux/amd64     sha256:") == true, "\(text)")
    }

    @Test func localLocationsAreInspectedLikeRegistries() throws {
        let list = try CopyKit.fixture(Self.nodeList)
        let amd64 = try CopyKit.fixture(Self.nodeAMD64)
        let directory = try CopyKit.temporaryDirectory()
        try CopyKit.succeed(["copy", "-q", "\(plain)/\(Self.nodeList)", "oci:\(directory)/layout:list"])
        try CopyKit.succeed(["copy", "-q", "\(plain)/\(Self.nodeAMD64)", "docker-archive:\(directory)/node.tar"])

        let layout = try report(["oci:\(directory)/layout:list"])
        #expect(layout.digest == list.digest && layout.manifestDigest == amd64.digest)
        #expect(layout.layers.map(\.digest) == amd64.layers)
        #expect(try CopyKit.samforgeOutputDigest(["inspect", "--raw", "oci:\(directory)/layout:list"]) == list.digest)

        let archive = try report(["--files", "all", "docker-archive:\(directory)/node.tar"])
        #expect(archive.configDigest == amd64.config_digest)
        #expect(archive.layers.map(\.digest) == amd64.layers)
        #expect(archive.files?.entries.first { $0.path == "/opt/stale/c.txt" }?.layer == 2)
        // The archive is tagged with the source's name, so it is recognized as a SAM image.
        #expect(archive.sam?.amazonLinux == "2")
    }

    @Test(arguments: [
        (["inspect", "--raw", "--config", "localhost:1/a"], Int32(2), "--raw and --config print different documents"),
        (["inspect", "--raw", "--json", "localhost:1/a"], 2, "cannot be combined with --json"),
        (["inspect", "--config", "--files", "0", "localhost:1/a"], 2, "--files cannot be combined with --config"),
        (["inspect", "oci:/nonexistent/layout"], 2, "oci:/nonexistent/layout: no such directory"),
        (["inspect", "docker-archive:/nonexistent.tar"], 2, "no such file"),
        (["inspect", "ftp:/x"], 2, "unknown location prefix \"ftp:\""),
        (["inspect", "dir:/tmp"], 2, "unsupported location \"dir:/tmp\""),
    ])
    func badInputs(arguments: [String], status: Int32, message: String) throws {
        let result = try CopyKit.samforge(arguments)
        #expect(result.status == status)
        #expect(CopyKit.errorLine(result).contains(message), "\(result.stderr)")
    }

    /// The rule: 1 to 3 digits is a layer index, 4 or more hex digits a digest prefix, even all
    /// digits. The node base's bottom layer is sha256:1822955e9773…: `1822` and `18229` name it
    /// (the README's example), as `0` does; every spelling lists the same files.
    @Test func allDigitPrefixesAreDigests() throws {
        let image = "\(plain)/\(Self.nodeAMD64)"
        let bottom = try CopyKit.succeed(["inspect", "--files", "0", image]).stdout
        #expect(!bottom.isEmpty)
        for selector in ["1822", "18229", "1822955e9773", "sha256:1822"] {
            let result = try CopyKit.samforge(["inspect", "--files", selector, image])
            #expect(result.status == 0, "\(selector): \(result.stderr)")
            #expect(result.stdout == bottom, "\(selector)")
        }
        for (selector, message) in [("0000", "--files 0000: no layer has that digest"),
                                    ("0002", "--files 0002: no layer has that digest"),
                                    ("003", "--files 003: no such layer (the image has 3 layers, 0-2)"),
                                    ("1000", "--files 1000: no layer has that digest"),
                                    ("-1", "expected all, a layer index (1 to 3 digits) or a layer digest (4 or more hex digits)"),
                                    ("+1", "expected all, a layer index (1 to 3 digits)")] {
            let result = try CopyKit.samforge(["inspect", "--files=\(selector)", image])
            #expect(result.status == 2, "\(selector): \(result.stderr)")
            #expect(CopyKit.errorLine(result).contains(message), "\(selector): \(result.stderr)")
        }
    }

    @Test func badLayerSelectors() throws {
        for (selector, message) in [("3", "--files 3: no such layer (the image has 3 layers, 0-2)"),
                                    ("zz", "expected all, a layer index (1 to 3 digits) or a layer digest"),
                                    ("sha256:ffffffff", "no layer has that digest")] {
            let result = try CopyKit.samforge(["inspect", "--files", selector, "\(plain)/\(Self.nodeAMD64)"])
            #expect(result.status == 2)
            #expect(CopyKit.errorLine(result).contains(message), "\(result.stderr)")
        }
    }

    @Test func notATarArchive() throws {
        let file = try CopyKit.temporaryDirectory() + "/junk.tar"
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: file))
        let result = try CopyKit.samforge(["inspect", "docker-archive:\(file)"])
        #expect(result.status == 1)
        #expect(CopyKit.errorLine(result).hasSuffix("docker-archive:\(file): not a tar archive"))
    }
}
