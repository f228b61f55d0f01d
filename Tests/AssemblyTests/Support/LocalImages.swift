import Foundation
import Layers
import OCI
import Registry
import Streams
import Testing
import TestSupport
@testable import Assembly

/// Small images (real gzip layers from LayerWriter) with manifests written the way registries
/// store them: indented and in non-canonical key order, so a copier that re-serializes changes
/// the digest and fails the tests.
enum LocalImages {
    struct Image {
        var manifest: RawManifest
        var config: Descriptor
        var layers: [Descriptor]
        var blobs: [Digest: [UInt8]]
    }

    static let base: [LayerEntrySpec] = [
        .directory("/etc"),
        .bytes("/etc/os-release", Array("NAME=\"Amazon Linux\"\nID=\"amzn\"\nVERSION_ID=\"2023\"\nPRETTY_NAME=\"Amazon Linux 2023\"\n".utf8)),
        .bytes("/etc/motd", Array("hello\n".utf8)),
        .bytes("/bin/tool", mode: 0o755, Array("#!/bin/sh\n".utf8)),
    ]
    static let upper: [LayerEntrySpec] = [
        .bytes("/etc/.wh.motd", []),
        .symlink("/bin/alias", to: "tool"),
        .bytes("/opt/new.txt", Array("new\n".utf8)),
    ]

    static func image(_ layerSpecs: [[LayerEntrySpec]] = [base, upper], architecture: String = "amd64", docker: Bool,
                      in directory: TemporaryDirectory) throws -> Image {
        var blobs: [Digest: [UInt8]] = [:]
        var layers: [Descriptor] = []
        var diffIDs: [String] = []
        for (index, specs) in layerSpecs.enumerated() {
            var writer = LayerWriter()
            for spec in specs { try writer.add(spec) }
            let written = try writer.write(into: BlobCache(root: directory.path + "/cache-\(architecture)-\(index)"))
            blobs[written.digest] = Array(try Data(contentsOf: URL(fileURLWithPath: written.path)))
            layers.append(Descriptor(mediaType: docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip, digest: written.digest, size: written.size))
            diffIDs.append(written.diffID.description)
        }
        let history = layerSpecs.indices.map { "{\"created_by\": \"layer \($0)\"}" }.joined(separator: ", ")
        let configText = """
        {"architecture": "\(architecture)", "os": "linux", "config": {"Env": ["PATH=/bin"], "WorkingDir": "/opt"},
         "rootfs": {"type": "layers", "diff_ids": [\(diffIDs.map { "\"\($0)\"" }.joined(separator: ", "))]},
         "history": [\(history)]}
        """
        let configBytes = Array(configText.utf8)
        let config = Descriptor(mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig, digest: Digest.of(configBytes), size: Int64(configBytes.count))
        blobs[config.digest] = configBytes
        let manifestType = docker ? MediaType.dockerManifest : MediaType.ociManifest
        let text = """
        {
           "schemaVersion": 2,
           "mediaType": "\(manifestType)",
           "config": \(descriptorJSON(config)),
           "layers": [
              \(layers.map(descriptorJSON).joined(separator: ",\n      "))
           ]
        }
        """
        return Image(manifest: try RawManifest(bytes: Array(text.utf8)), config: config, layers: layers, blobs: blobs)
    }

    /// An index over single-platform images, `(image, "os/arch[/variant]")`.
    static func index(_ children: [(Image, String)], docker: Bool) throws -> RawManifest {
        let entries = try children.map { image, platformText -> String in
            let platform = try Platform(parsing: platformText)
            let variant = platform.variant.map { ", \"variant\": \"\($0)\"" } ?? ""
            return """
            {"mediaType": "\(image.manifest.mediaType)", "size": \(image.manifest.bytes.count), "digest": "\(image.manifest.digest)", \
            "platform": {"architecture": "\(platform.architecture)", "os": "\(platform.os)"\(variant)}}
            """
        }
        let text = """
        {
           "schemaVersion": 2,
           "mediaType": "\(docker ? MediaType.dockerManifestList : MediaType.ociIndex)",
           "manifests": [
              \(entries.joined(separator: ",\n      "))
           ]
        }
        """
        return try RawManifest(bytes: Array(text.utf8))
    }

    /// A source serving one image, or an index over several.
    static func source(_ image: Image) -> MemoryImageSource {
        MemoryImageSource(manifest: image.manifest, blobs: image.blobs, description: "memory:image")
    }

    static func source(index: RawManifest, _ images: [Image]) -> MemoryImageSource {
        MemoryImageSource(manifest: index, manifests: images.map(\.manifest),
                          blobs: images.reduce(into: [:]) { $0.merge($1.blobs) { a, _ in a } }, description: "memory:image")
    }

    static func descriptorJSON(_ descriptor: Descriptor) -> String {
        "{\"mediaType\": \"\(descriptor.mediaType)\", \"size\": \(descriptor.size), \"digest\": \"\(descriptor.digest)\"}"
    }
}

/// Independent checks with python3 (tarfile, json), never with the code under test.
enum PythonCheck {
    /// `name → size` of every member of a tar archive, as python's tarfile reads it.
    static func tarMembers(_ path: String) throws -> [String: Int] {
        let script = "import json,sys,tarfile\nprint(json.dumps({m.name: m.size for m in tarfile.open(sys.argv[1]).getmembers()}))"
        let result = try Command.run("python3", ["-c", script, path])
        guard result.status == 0 else { throw PythonError(message: result.stderr) }
        return try JSONDecoder().decode([String: Int].self, from: Data(result.stdout.utf8))
    }

    /// The bytes of one member, extracted by python.
    static func tarMember(_ path: String, _ name: String) throws -> Data {
        let script = "import sys,tarfile\nsys.stdout.buffer.write(tarfile.open(sys.argv[1]).extractfile(sys.argv[2]).read())"
        let result = try Command.run("python3", ["-c", script, path, name])
        guard result.status == 0 else { throw PythonError(message: result.stderr) }
        return Data(result.stdout.utf8)
    }

    static func run(_ script: String, _ arguments: [String]) throws -> String {
        let result = try Command.run("python3", ["-c", script] + arguments)
        guard result.status == 0 else { throw PythonError(message: result.stderr) }
        return result.stdout
    }

    struct PythonError: Error, CustomStringConvertible {
        let message: String
        var description: String { "python3 failed: \(message)" }
    }
}

extension TemporaryDirectory {
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Publishes `source` to `destination` through the one publisher, as every command does, and
/// has the independent validator (scripts/validate-image.py) check what it wrote.
func write(_ source: ImageSource, _ destination: ImageDestination, names: [String], platform: Platform? = nil) async throws -> WriteReport {
    let result = try await Publisher(context: RunContext(client: RegistryClient(), jobs: 4))
        .publish(Publication(image: source, names: names, platform: platform), to: destination)
    let location = destination.description + (destination is OCILayoutDestination ? names.first.map { ":" + $0 } ?? "" : "")
    if let problem = try ImageValidation.problem(location) { Issue.record("wrote an invalid image \(location): \(problem)") }
    return result.content
}
