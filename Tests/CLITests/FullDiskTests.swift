import Foundation
import Testing
import TestSupport

/// A sink on a full disk (a 512 KB tmpfs in a user and mount namespace of the test's own):
/// one line naming the file the user asked for (not samforge's temporary), saying what to do,
/// exit 1, and nothing left on the disk.
@Suite("a full disk")
struct FullDiskTests {
    @Test(arguments: ["docker-archive:DIR/image.tar", "oci:DIR/layout:1"])
    func aFullDiskIsOneLineNamingTheTarget(_ sink: String) throws {
        let directory = try TemporaryDirectory().path
        let big = directory + "/big"
        _ = try CopyKit.shell("head -c 2000000 /dev/urandom > \"$1\"", [big])
        try CopyKit.succeed(["append", "-q", "--file", "\(big):/big", "--cache-dir", directory + "/cache", "scratch", "oci:\(directory)/source:1"])
        let small = directory + "/small"
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        let target = sink.replacingOccurrences(of: "DIR", with: small)
        // The listing is taken inside the namespace, while the tmpfs is still mounted.
        let result = try Command.run("/usr/bin/unshare", ["-r", "-m", "/bin/sh", "-c",
            "mount -t tmpfs -o size=512k none \"$1\" || exit 99; \"$2\" copy -q \"$3\" \"$4\"; status=$?; echo \"left: $(find \"$1\" -mindepth 1 | wc -l)\"; exit $status",
            "sh", small, Command.samforgePath, "oci:\(directory)/source:1", target])
        try #require(result.status != 99, "no tmpfs in a user namespace here: \(result.stderr)")
        #expect(result.status == 1, "\(result.stderr)")
        let wanted = target.hasPrefix("oci:") ? "cannot write \(small)/layout/" : "cannot write \(small)/image.tar:"
        #expect(result.errorLine.hasPrefix("samforge: error: ") && result.errorLine.contains(wanted), "\(result.stderr)")
        #expect(result.errorLine.hasSuffix("no space left on device (free some space there, or write somewhere else)"), "\(result.stderr)")
        #expect(!result.stderr.contains(".partial"), "\(result.stderr)")
        #expect(result.stdout.contains("left: 0"), "\(result.stdout)")
    }

    /// The layer cache on a full disk (a new layer written there): the same, one line saying
    /// what to do, and no image written.
    @Test func aFullCacheIsOneLineSayingWhatToDo() throws {
        let directory = try TemporaryDirectory().path
        let big = directory + "/big"
        _ = try CopyKit.shell("head -c 2000000 /dev/urandom > \"$1\"", [big])
        let cache = directory + "/cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let result = try Command.run("/usr/bin/unshare", ["-r", "-m", "/bin/sh", "-c",
            "mount -t tmpfs -o size=512k none \"$1\" || exit 99; exec \"$2\" append -q --file \"$3\":/big --cache-dir \"$1\" scratch \"$4\"",
            "sh", cache, Command.samforgePath, big, "oci:\(directory)/out:1"])
        try #require(result.status != 99, "no tmpfs in a user namespace here: \(result.stderr)")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.errorLine.contains("cannot write the layer cache \(cache): no space left on device (free some space there, or write somewhere else)"),
                "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/out"))
    }
}
