import Foundation
import Testing
import TestSupport

/// `samforge blob LOCATION@DIGEST`: the attached documents `inspect --referrers` names, and any
/// config or layer, streamed to stdout from a registry, a layout and an archive, byte for byte
/// what an independent tool (curl, the layout's file, `samforge config`) holds; verified.
@Suite("samforge blob", .enabled(if: TestWorld.available))
struct BlobTests {
    /// The blob into a file (stdout is bytes, not text); the exit status and stderr.
    static func blob(_ location: String) throws -> (status: Int32, path: String, stderr: String) {
        let path = try TemporaryDirectory().path + "/blob"
        let result = try Command.run("/bin/sh", ["-c", "exec \"$0\" blob \"$1\" > \"$2\"", Command.samforgePath, location, path])
        return (result.status, path, result.stderr)
    }

    static func sha256(_ path: String) throws -> String { try BuildHarness.sha256(path) }

    /// Each artifact's documents, as `inspect --referrers --json` lists them.
    static func documents(_ location: String) throws -> [(artifactType: String, digest: String, size: Int)] {
        let view = try CopyKit.json(try CopyKit.succeed(["inspect", "--referrers", "--json", location]).stdout)
        let subjects = try #require(view["subjects"] as? [[String: Any]])
        return subjects.flatMap { ($0["referrers"] as? [[String: Any]]) ?? [] }.flatMap { node in
            ((node["documents"] as? [[String: Any]]) ?? []).map {
                (node["artifactType"] as? String ?? "", $0["digest"] as? String ?? "", $0["size"] as? Int ?? -1)
            }
        }
    }

    @Test func attachedDocumentsFromARegistryAndALayout() throws {
        let target = BuildHarness.newTarget("blob")
        let built = try BuildHarness.build(target: target)
        try #require(built.status == 0, "\(built.stderr)")
        let reference = try BuildHarness.taggedReference(built)
        let documents = try Self.documents(reference)
        #expect(Set(documents.map(\.artifactType)) == ["application/spdx+json", "application/vnd.in-toto+json"], "\(documents)")
        // The human tree names them too.
        let tree = try CopyKit.succeed(["inspect", "--referrers", reference]).stdout
        for document in documents { #expect(tree.contains("document \(document.digest)"), "\(tree)") }

        let layout = try TemporaryDirectory().path + "/layout"
        try CopyKit.succeed(["copy", reference, "oci:\(layout):1"])
        #expect(try Self.documents("oci:\(layout):1").map(\.digest).sorted() == documents.map(\.digest).sorted())
        for document in documents {
            let fromRegistry = try Self.blob("\(target)@\(document.digest)")
            #expect(fromRegistry.status == 0, "\(fromRegistry.stderr)")
            #expect(fromRegistry.stderr.isEmpty)
            #expect(try Self.sha256(fromRegistry.path) == document.digest)
            // curl agrees, byte for byte.
            let curl = try BuildHarness.downloadBlob(document.digest, repository: target)
            #expect(FileManager.default.contentsEqual(atPath: curl, andPath: fromRegistry.path))
            let fromLayout = try Self.blob("oci:\(layout)@\(document.digest)")
            #expect(fromLayout.status == 0 && FileManager.default.contentsEqual(atPath: curl, andPath: fromLayout.path), "\(fromLayout.stderr)")
            // The documents are what they say.
            let json = try CopyKit.json(try String(contentsOfFile: fromRegistry.path, encoding: .utf8))
            if document.artifactType == "application/spdx+json" {
                #expect(json["spdxVersion"] as? String == "SPDX-2.3")
            } else {
                #expect(json["_type"] as? String == "https://in-toto.io/Statement/v1")
            }
        }
    }

    /// A config and a layer from each location: the same bytes everywhere.
    @Test func configsAndLayersFromEveryLocation() throws {
        let source = "\(TestWorld.plain)/\(BuildHarness.nodeBase)"
        let manifest = try BuildHarness.rawManifest(source)
        let config = try #require((manifest["config"] as? [String: Any])?["digest"] as? String)
        let layer = try #require(BuildHarness.layerDigests(manifest).last)
        let directory = try TemporaryDirectory().path
        try CopyKit.succeed(["copy", source, "oci:\(directory)/layout:1"])
        try CopyKit.succeed(["copy", source, "docker-archive:\(directory)/image.tar"])
        let repository = "\(TestWorld.plain)/sam/build-nodejs18.x"
        let reference = try BuildHarness.downloadBlob(layer, repository: repository)
        for location in [repository, "oci:\(directory)/layout", "docker-archive:\(directory)/image.tar"] {
            let got = try Self.blob("\(location)@\(layer)")
            #expect(got.status == 0, "\(location): \(got.stderr)")
            #expect(FileManager.default.contentsEqual(atPath: got.path, andPath: reference), "\(location)")
            let configBlob = try Self.blob("\(location)@\(config)")
            let configDigest = try Self.sha256(configBlob.path)
            #expect(configBlob.status == 0 && configDigest == config, "\(location): \(configBlob.stderr)")
        }
        let archiveConfig = try CopyKit.succeed(["config", "docker-archive:\(directory)/image.tar"]).stdout
        let configText = try String(contentsOfFile: try Self.blob("docker-archive:\(directory)/image.tar@\(config)").path, encoding: .utf8)
        #expect(configText == archiveConfig)
    }

    /// A digest the location does not hold, a malformed argument, and bytes that are not the
    /// digest's (the fault proxy flips one): one line, and a corrupt blob never ends whole.
    @Test func refusals() throws {
        let missing = "sha256:" + String(repeating: "0", count: 64)
        let directory = try TemporaryDirectory().path
        let source = "\(TestWorld.plain)/\(BuildHarness.pythonBase)"
        try CopyKit.succeed(["copy", source, "oci:\(directory)/layout:1"])
        try CopyKit.succeed(["copy", source, "docker-archive:\(directory)/image.tar"])
        for (location, status, message) in [
            ("\(TestWorld.plain)/sam/build-python3.12@\(missing)", Int32(1), "no such blob"),
            ("oci:\(directory)/layout@\(missing)", 1, "no such blob"),
            ("docker-archive:\(directory)/image.tar@\(missing)", 1, "no such blob"),
            ("\(TestWorld.plain)/sam/build-python3.12", 2, "give LOCATION@sha256:HEX"),
            ("\(TestWorld.plain)/sam/build-python3.12@sha256:abc", 2, "sha256:abc"),
            ("scratch@\(missing)", 2, "scratch is the empty image"),
        ] {
            let result = try Self.blob(location)
            #expect(result.status == status, "\(location): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("samforge: error: ") && lines[0].contains(message), "\(location): \(result.stderr)")
        }

        // Through the fault proxy, a flipped byte: exit 1, and the output is not the blob.
        let repository = "\(TestWorld.plainProxy)/sam/build-python3.12"
        let manifest = try BuildHarness.rawManifest("\(TestWorld.plain)/\(BuildHarness.pythonBase)")
        let layer = try #require(BuildHarness.layerDigests(manifest).first)
        let proxy = FaultProxy()
        try proxy.arm("corrupt", match: "build-python3.12/blobs/\(layer)", count: 20)
        let corrupt = try Self.blob("\(repository)@\(layer)")
        #expect(corrupt.status == 1, "\(corrupt.stderr)")
        #expect(corrupt.stderr.contains("samforge: error: "), "\(corrupt.stderr)")
        #expect(try Self.sha256(corrupt.path) != layer)
        let size = try #require((try FileManager.default.attributesOfItem(atPath: corrupt.path))[.size] as? Int)
        let expected = try #require((manifest["layers"] as? [[String: Any]])?.first?["size"] as? Int)
        #expect(size < expected, "the last byte is held back until the digest is checked")
    }
}
