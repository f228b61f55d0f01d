import Foundation
import Testing
import TestSupport

/// `append --file ./dir:/opt/dir`: a local directory tree as docker's `COPY dir/` and `buildah
/// add` add it: every entry, modes kept, root-owned, sorted, reproducible, symlinks kept as
/// links (never followed out of the tree), hard links kept. Read back by Python's tarfile.
@Suite("samforge append: a directory tree", .enabled(if: TestWorld.available))
struct AppendTreeTests {
    /// A tree with what a scripts folder holds, and what could lead outside it.
    static func makeTree(_ root: String) throws {
        let manager = FileManager.default
        func file(_ path: String, _ text: String, _ mode: Int) throws {
            try text.write(toFile: root + "/" + path, atomically: false, encoding: .utf8)
            try manager.setAttributes([.posixPermissions: mode], ofItemAtPath: root + "/" + path)
        }
        try manager.createDirectory(atPath: root + "/lib/deep", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        try file("run.sh", "#!/bin/sh\necho run\n", 0o755)
        try file("lib/common.sh", "common\n", 0o644)
        try file("lib/deep/secret.conf", "s\n", 0o600)
        try file("naïve-ünïcode.txt", "u\n", 0o644)
        try manager.setAttributes([.posixPermissions: 0o750], ofItemAtPath: root + "/lib")
        try manager.createSymbolicLink(atPath: root + "/current", withDestinationPath: "lib/common.sh")
        try manager.createSymbolicLink(atPath: root + "/passwd", withDestinationPath: "/etc/passwd")
        try manager.createSymbolicLink(atPath: root + "/etc-dir", withDestinationPath: "/etc")
        try manager.linkItem(atPath: root + "/run.sh", toPath: root + "/lib/run-link.sh")
        // Not root's: the layer's copy is.
        _ = try Command.run("/bin/chown", ["-h", "1000:1000", root + "/lib/common.sh"])
    }

    /// The new layer's entries in tar order: name, type, mode, uid, gid, mtime, link target.
    static func entries(_ layout: String) throws -> [[String]] {
        let script = """
        import json, sys, tarfile, os
        layout = sys.argv[1]
        index = json.load(open(os.path.join(layout, "index.json")))
        def blob(d): return os.path.join(layout, "blobs", *d.split(":"))
        image = [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "1"][0]
        manifest = json.load(open(blob(image["digest"])))
        with tarfile.open(blob(manifest["layers"][-1]["digest"])) as t:
            print(json.dumps([[m.name, {tarfile.DIRTYPE: "d", tarfile.REGTYPE: "f", tarfile.SYMTYPE: "l", tarfile.LNKTYPE: "h"}.get(m.type, "?"),
                               oct(m.mode), str(m.uid), str(m.gid), str(m.mtime), m.linkname] for m in t.getmembers()]))
        """
        let result = try Command.run("python3", ["-c", script, layout])
        try #require(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode([[String]].self, from: Data(result.stdout.utf8))
    }

    static func append(_ source: String, _ layout: String, extra: [String] = []) throws -> CommandResult {
        try Command.samforge(["append", "-q", "--file", "\(source):/opt/scripts"] + extra + ["scratch", "oci:\(layout):1"],
                             environment: ["SOURCE_DATE_EPOCH": BuildHarness.epoch])
    }

    @Test func everyEntryAsDockerCopyAddsIt() throws {
        let root = try TemporaryDirectory().path + "/scripts"
        try Self.makeTree(root)
        let layout = try TemporaryDirectory().path + "/layout"
        let result = try Self.append(root, layout)
        try #require(result.status == 0, "\(result.stderr)")
        let entries = try Self.entries(layout)
        let names = entries.map { $0[0] }
        #expect(names == [
            "opt", "opt/scripts", "opt/scripts/current", "opt/scripts/empty", "opt/scripts/etc-dir", "opt/scripts/lib",
            "opt/scripts/lib/common.sh", "opt/scripts/lib/deep", "opt/scripts/lib/deep/secret.conf", "opt/scripts/lib/run-link.sh",
            "opt/scripts/naïve-ünïcode.txt", "opt/scripts/passwd", "opt/scripts/run.sh",
        ], "\(names)")
        let byName = Dictionary(entries.map { ($0[0], $0) }, uniquingKeysWith: { $1 })
        #expect(byName["opt/scripts/lib"]?[1] == "d" && byName["opt/scripts/lib"]?[2] == "0o750")
        #expect(byName["opt/scripts/lib/deep/secret.conf"]?[2] == "0o600")
        #expect(byName["opt/scripts/current"]?[1] == "l" && byName["opt/scripts/current"]?[6] == "lib/common.sh")
        // Links out of the tree are links, never followed: nothing of /etc is in the layer.
        #expect(byName["opt/scripts/passwd"]?[1] == "l" && byName["opt/scripts/passwd"]?[6] == "/etc/passwd")
        #expect(byName["opt/scripts/etc-dir"]?[1] == "l" && !names.contains { $0.hasPrefix("opt/scripts/etc-dir/") })
        // The two names of one inode: one file and a hard link to it.
        let hardLinked = [byName["opt/scripts/lib/run-link.sh"], byName["opt/scripts/run.sh"]].compactMap { $0 }
        #expect(hardLinked.map { $0[1] }.sorted() == ["f", "h"], "\(hardLinked)")
        #expect(entries.allSatisfy { $0[3] == "0" && $0[4] == "0" && $0[5] == BuildHarness.epoch }, "\(entries)")
        #expect(try ImageValidation.problem("oci:\(layout):1") == nil)
    }

    /// The same tree elsewhere (under the same name, which the history records), copied at
    /// another time: the same image digest;
    /// `:MODE` sets every file's and directory's mode, links keep theirs.
    @Test func theSameTreeGivesTheSameLayerWhereverItIs() throws {
        let first = try TemporaryDirectory().path + "/a/scripts"
        try FileManager.default.createDirectory(atPath: first, withIntermediateDirectories: true)
        try Self.makeTree(first)
        Thread.sleep(forTimeInterval: 1.1)
        let second = try TemporaryDirectory().path + "/elsewhere/scripts"
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        _ = try Command.run("/bin/cp", ["-a", first + "/.", second])
        _ = try Command.run("/usr/bin/touch", [second + "/run.sh", second + "/lib"])
        var digests: [String] = []
        for source in [first, second] {
            let layout = try TemporaryDirectory().path + "/layout"
            let result = try Self.append(source, layout)
            try #require(result.status == 0, "\(result.stderr)")
            digests.append(String(result.lastLine.split(separator: "@").last ?? ""))
        }
        #expect(digests[0] == digests[1] && digests[0].hasPrefix("sha256:"), "\(digests)")

        let layout = try TemporaryDirectory().path + "/layout"
        let moded = try Self.append(first, layout, extra: ["--file", "\(first):/opt/other:0700"])
        try #require(moded.status == 0, "\(moded.stderr)")
        for entry in try Self.entries(layout) where entry[0].hasPrefix("opt/other") {
            #expect(entry[1] == "l" || entry[1] == "h" || entry[2] == "0o700", "\(entry)")
        }
    }

    /// Refused before any traffic (the base is on a registry nothing listens on): a FIFO, a
    /// name that is not UTF-8; a directory where a file must be (the docker CLI) stays refused.
    @Test func whatCannotBeAddedIsNamed() throws {
        let root = try TemporaryDirectory().path + "/tree"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        _ = try Command.run("/usr/bin/mkfifo", [root + "/pipe"])
        let fifo = try Command.samforge(["append", "--file", "\(root):/opt/x", "127.0.0.1:1/a:1", "oci:\(root)-out:1"])
        #expect(fifo.status == 2, "\(fifo.stderr)")
        #expect(fifo.errorLine.contains("--file \(root): \(root)/pipe is a FIFO, socket or device"), "\(fifo.stderr)")

        let bytes = try TemporaryDirectory().path + "/bytes"
        try FileManager.default.createDirectory(atPath: bytes, withIntermediateDirectories: true)
        _ = try Command.run("/bin/sh", ["-c", "touch \"$1/$(printf 'x\\377')\"", "sh", bytes])
        let named = try Command.samforge(["append", "--file", "\(bytes):/opt/x", "127.0.0.1:1/a:1", "oci:\(bytes)-out:1"])
        #expect(named.status == 2, "\(named.stderr)")
        #expect(named.errorLine.contains("x\\xff is not a UTF-8 name"), "\(named.stderr)")

        let cli = try Command.samforge(try BuildHarness.arguments(target: "127.0.0.1:1/t", dockerImage: false, extra: ["--docker-cli-file", root]))
        #expect(cli.status == 2 && cli.errorLine.contains("--docker-cli-file \(root): no such readable file (give a file or an http(s) URL)"),
                "\(cli.stderr)")
    }
}
