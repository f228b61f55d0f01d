import Assembly
import Foundation
import Layers
import OCI
import Registry
import Streams

/// Turns each tool source into a local file the layer writer can read: URLs are downloaded
/// into the staging directory, archives unpacked (one entry), images read through their
/// merged filesystem (only the one path is kept).
struct ToolFiles {
    let client: RegistryClient
    let workspace: BuildWorkspace
    let progress: (@Sendable (String) -> Void)?

    func goTemplate(_ location: ToolLocation) async throws -> String {
        try await step("go-template", location.description) {
            try await localFile(location, name: "go-template")
        }
    }

    func dockerCLI(_ source: DockerCLISource) async throws -> String {
        switch source {
        case .image(let reference):
            return try await step("docker CLI image", reference.description) { try await fromImage(reference) }
        case .file(let location):
            return try await step("docker CLI file", location.description) {
                let file = try await localFile(location, name: "docker-download")
                return try await Self.isArchive(file) ? try await unpack(file, entry: SAMRecipe.dockerArchiveEntry, source: location.description) : file
            }
        }
    }

    /// `/usr/local/bin/docker` as the image's linux/amd64 layers leave it.
    private func fromImage(_ reference: Reference) async throws -> String {
        let image = try await ResolvedImage.resolve(RegistrySource(client: client, reference: reference), platform: .linuxAMD64)
        progress?("docker CLI: \(SAMRecipe.dockerPath) from \(reference) (\(image.image.layers.count) layers)")
        let filesystem = try MergedFilesystem(selecting: [SAMRecipe.dockerPath], stagingDirectory: workspace.makePath("docker-cli"))
        try await image.apply(to: filesystem)
        let specs: [LayerEntrySpec]
        do { specs = try filesystem.entries(under: SAMRecipe.dockerPath, destination: SAMRecipe.dockerPath) } catch LayerError.missingPath {
            throw SAMBuildError.missingFile(source: "docker CLI image \(reference)", path: SAMRecipe.dockerPath)
        }
        guard specs.count == 1, case .file(let staged) = specs[0].content else {
            throw SAMBuildError.notARegularFile(source: reference.description, path: SAMRecipe.dockerPath)
        }
        return staged
    }

    private func localFile(_ location: ToolLocation, name: String) async throws -> String {
        switch location {
        case .file(let path):
            return path
        case .url(let url):
            let path = workspace.makePath(name)
            progress?("downloading \(redactedURL(url))")
            try await URLDownload(transport: CurlTransport(), options: client.options).fetch(url, to: path)
            return path
        }
    }

    /// A tar (gzip or not): the static docker bundle. Anything else is taken as the binary.
    static func isArchive(_ path: String) async throws -> Bool {
        try await BlockingWork.run {
            let source = try FileSource(path: path)
            guard let length = source.length, length >= 2 else { return false }
            let head = try source.readPrefix(Int(min(length, 512)))
            if head.count >= 2, head[0] == 0x1f, head[1] == 0x8b { return true }
            return head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
        }
    }

    /// Streams one entry of an archive into the staging directory.
    private func unpack(_ archive: String, entry wanted: String, source: String) async throws -> String {
        let destination = workspace.makePath("docker")
        try await BlockingWork.run {
            let reader = try LayerReader(source: try FileSource(path: archive))
            while let entry = try reader.next() {
                guard entry.path == wanted else { continue }
                guard entry.kind == .file else { throw SAMBuildError.notARegularFile(source: source, path: wanted) }
                let sink = try FileSink(path: destination)
                try reader.readData(into: sink)
                try sink.close()
                return
            }
            throw SAMBuildError.missingArchiveEntry(archive: source, entry: wanted)
        }
        return destination
    }
}

private extension ByteSource {
    /// The first `limit` bytes (or fewer, for a shorter source).
    func readPrefix(_ limit: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: limit)
        var filled = 0
        while filled < limit {
            let n = try bytes.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 { break }
            filled += n
        }
        return Array(bytes[0..<filled])
    }
}
