import ArgumentParser
import Assembly
import Foundation
import OCI
import Registry
import Streams

/// `samforge blob LOCATION@DIGEST`, as crane's blob: one blob (a config, a layer, an attached
/// SBOM or provenance document) streamed to stdout, verified against its digest and size.
struct BlobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blob",
        abstract: "Print a blob (a config, a layer, an SBOM or provenance document).",
        usage: "samforge blob [<options>] <location>@<digest>",
        discussion: """
        The blob streams to stdout as it arrives and is checked against DIGEST: on a \
        mismatch the output stops before its last byte and the command exits 1.
        LOCATION is a registry repository, oci:DIR[:TAG] or docker-archive:FILE[:REF].
        inspect --referrers shows the document digest of each SBOM and provenance.
        Examples:
          samforge blob registry.example.com/team/app@sha256:4f4f... > sbom.json
          samforge blob oci:./layout@sha256:0d3e... | tar tz
        """
    )

    @Argument(help: ArgumentHelp("The blob: LOCATION@sha256:HEX.", valueName: "location@digest")) var blob: String
    @OptionGroup var registry: RegistryFlags

    func run() async throws {
        let (location, digest) = try Self.parse(blob)
        let output = StandardOutputSink()
        // The last byte waits for the digest check: a corrupt blob never reaches its end.
        var holdback: FinalByteHoldback?
        func sink(size: Int64) -> ByteSink {
            guard size > 0 else { return output }
            let held = FinalByteHoldback(output, size: size, what: "blob \(digest)")
            holdback = held
            return held
        }
        switch location {
        case .registry(let reference):
            let client = registry.makeClient()
            let repository = Repository(reference)
            do {
                guard let size = try await client.blobSize(digest, in: repository) else {
                    throw AssemblyError.notFound("\(reference.repositoryName)@\(digest): no such blob")
                }
                try await client.fetchBlob(digest, from: repository, expectedSize: size >= 0 ? size : nil, into: sink(size: size))
            } catch let error as RegistryError where error.namesOnlyTheHost {
                throw StepError("\(reference.repositoryName)@\(digest)", error)
            }
        case .ociLayout(let directory, _):
            // The layout format stores every blob (manifests too) at blobs/ALGORITHM/HEX.
            let path = "\(directory)/blobs/sha256/\(digest.hex)"
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
                throw AssemblyError.notFound("\(location)@\(digest): no such blob (no blobs/sha256/\(digest.hex))")
            }
            let source = try location.openSource(client: registry.makeClient())
            try await source.fetchBlob(Descriptor(mediaType: "application/octet-stream", digest: digest, size: Int64(size)), into: sink(size: Int64(size)))
        case .dockerArchive:
            // An archive holds one image's config and layers, by digest.
            let source = try location.openSource(client: registry.makeClient())
            let image = try await ResolvedImage.resolve(source, preferring: nil)
            guard let descriptor = ([image.image.config] + image.image.layers).first(where: { $0.digest == digest }) else {
                throw AssemblyError.notFound("\(location)@\(digest): no such blob (the archive holds a config and \(image.image.layers.count) layers)")
            }
            try await source.fetchBlob(descriptor, into: sink(size: descriptor.size))
        case .scratch:
            throw UsageError("scratch is the empty image: it has no blobs")
        }
        try holdback?.release()
    }

    /// `LOCATION@sha256:HEX`: the digest after the last `@`.
    static func parse(_ text: String) throws -> (ImageLocation, Digest) {
        guard let at = text.lastIndex(of: "@"), case let digestText = String(text[text.index(after: at)...]), digestText.contains(":") else {
            throw UsageError("\(escapedForMessage(text)): give LOCATION@sha256:HEX (the blob's digest after @)")
        }
        let digest: Digest
        do { digest = try Digest(digestText) } catch { throw UsageError("\(escapedForMessage(text)): \(error.description)") }
        let locationText = String(text[..<at])
        let location: ImageLocation
        do { location = try ImageLocation(parsing: locationText) } catch { throw UsageError(error.description) }
        return (location, digest)
    }
}

/// Writes to file descriptor 1 as the bytes come (no buffering: a blob may be gigabytes).
final class StandardOutputSink: ByteSink, @unchecked Sendable {
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw StreamError.io("cannot write to stdout: \(OutputPath.reason(errno))")
            }
            offset += written
        }
    }
}
