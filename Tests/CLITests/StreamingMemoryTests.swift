import Foundation
import Testing
import TestSupport

/// Memory stays flat as images grow: samforge's own peak RSS (measured per process, so the
/// tests running beside it cannot disturb it) barely moves between a tiny image and one
/// holding a 200 MB layer, uploading from a layout and streaming registry to registry.
@Suite("streaming: flat memory for a 200 MB layer", .enabled(if: TestWorld.available))
struct StreamingMemoryTests {
    static let layerMegabytes = 200
    /// Buffers and parallel transfers may cost this much more than for a tiny image.
    static let allowedGrowth = 32 << 20

    @Test func largeLayerCopiesInFlatMemory() throws {
        let directory = try TemporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let small = try Self.writeLayout(directory + "/small", layerMegabytes: 0)
        let large = try Self.writeLayout(directory + "/large", layerMegabytes: Self.layerMegabytes)

        var peaks: [String: Int] = [:]
        for (name, layout) in [("small", small), ("large", large)] {
            let staged = CopyKit.newRepository("memory-\(name)") + ":1"
            let upload = try PeakMemory.samforge(["copy", "oci:\(layout.path):img", staged])
            try #require(upload.result.status == 0, "\(upload.result.stderr)")
            // Another registry: every byte is downloaded and uploaded again, none mounted.
            let crossed = CopyKit.newRepository("memory-\(name)", host: TestWorld.tls) + ":1"
            let copy = try PeakMemory.samforge(["copy", "--ca-file", TestWorld.caFile, staged, crossed])
            try #require(copy.result.status == 0, "\(copy.result.stderr)")
            #expect(try CopyKit.rawDigest("docker://\(staged)") == layout.manifestDigest)
            #expect(copy.result.lastLine.hasSuffix("@" + layout.manifestDigest))
            peaks["upload-\(name)"] = upload.peakBytes
            peaks["copy-\(name)"] = copy.peakBytes
        }
        for operation in ["upload", "copy"] {
            let small = try #require(peaks["\(operation)-small"]), large = try #require(peaks["\(operation)-large"])
            #expect(small > 0)
            #expect(large - small < Self.allowedGrowth,
                    "\(operation): peak \(large >> 20) MB for a \(Self.layerMegabytes) MB layer, \(small >> 20) MB for a tiny one")
        }
    }

    /// The layer writer (build's tools layer) and reader (`inspect --files`) over a 200 MB file.
    @Test func largeFileBuildsAndListsInFlatMemory() throws {
        let directory = try TemporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var peaks: [String: Int] = [:]
        for (name, megabytes) in [("small", 0), ("large", Self.layerMegabytes)] {
            let docker = directory + "/docker-\(name)"
            _ = try CopyKit.shell("head -c $(( $2 * 1048576 + 64 )) /dev/urandom > \"$1\"", [docker, String(megabytes)])
            let arguments = try BuildHarness.arguments(target: BuildHarness.newTarget("memory-build-\(name)"), dockerImage: false,
                                                       extra: ["--docker-cli-file", docker, "--quiet"])
            let build = try PeakMemory.samforge(arguments)
            try #require(build.result.status == 0, "\(build.result.stderr)")
            let reference = try BuildHarness.taggedReference(build.result)
            let files = try PeakMemory.samforge(["inspect", "--files", "all", reference])
            try #require(files.result.status == 0, "\(files.result.stderr)")
            // The listing saw the whole file: its size is printed on its line.
            let size = String(megabytes * 1_048_576 + 64)
            #expect(files.result.stdout.split(separator: "\n").contains { $0.hasSuffix("usr/local/bin/docker") && $0.contains(size) })
            peaks["build-\(name)"] = build.peakBytes
            peaks["files-\(name)"] = files.peakBytes
        }
        for operation in ["build", "files"] {
            let small = try #require(peaks["\(operation)-small"]), large = try #require(peaks["\(operation)-large"])
            #expect(large - small < Self.allowedGrowth,
                    "\(operation): peak \(large >> 20) MB with a \(Self.layerMegabytes) MB file, \(small >> 20) MB with a tiny one")
        }
    }

    /// The probe sees memory a child really touches, or the bound above would prove nothing.
    @Test func probeSeesALayerSizedBuffer() throws {
        let touched = try PeakMemory.run("/usr/bin/python3", ["-c", "b = bytearray(\(Self.layerMegabytes) << 20)"],
                                         environment: ProcessInfo.processInfo.environment)
        #expect(touched.result.status == 0)
        #expect(touched.peakBytes > Self.layerMegabytes << 20)
    }

    struct Layout { var path: String; var manifestDigest: String }

    /// An OCI layout with one incompressible layer of the given size (0: a few bytes),
    /// written by Python so the image does not depend on samforge.
    static func writeLayout(_ path: String, layerMegabytes: Int) throws -> Layout {
        let script = """
        import hashlib, json, os, sys
        out, size = sys.argv[1], int(sys.argv[2]) << 20
        os.makedirs(out + "/blobs/sha256")
        def put(data):
            d = hashlib.sha256(data).hexdigest()
            open(f"{out}/blobs/sha256/{d}", "wb").write(data)
            return d
        h = hashlib.sha256(); tmp = out + "/layer.tmp"; n = 0
        with open(tmp, "wb") as f, open("/dev/urandom", "rb") as r:
            while n < max(size, 16):
                chunk = r.read(min(1 << 20, max(size, 16) - n)); f.write(chunk); h.update(chunk); n += len(chunk)
        layer = h.hexdigest(); os.rename(tmp, f"{out}/blobs/sha256/{layer}")
        config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer]}}).encode()
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + put(config), "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + layer, "size": n}]}).encode()
        m = put(manifest)
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + m, "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "img"}}]},
            open(out + "/index.json", "w"))
        open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
        print("sha256:" + m)
        """
        let digest = try CopyKit.shell("python3 -c \"$1\" \"$2\" \"$3\"", [script, path, String(layerMegabytes)])
        return Layout(path: path, manifestDigest: digest)
    }
}
