import Assembly
import Attestations
import Foundation
import OCI
import Streams

extension BuildAttester {
    /// The SBOM of `record` as a referrer of `subject`. With a workspace its document is streamed
    /// into a file there and hashed on the way: the SBOM of a copy of 100,000 files is about
    /// 50 MB, and like every other blob it is never held whole in memory.
    func sbom(_ record: BuildRecord, subject: Descriptor) async throws -> Attachment {
        let description = "\(Self.sbomKind) of \(subject.digest.short)"
        guard let workspace else {
            let artifact = try ReferrerArtifact(document: try SPDXDocument.encode(record), mediaType: SPDXDocument.mediaType,
                                                title: "sbom.spdx.json", subject: subject, created: record.created)
            let source = MemoryImageSource(manifest: artifact.manifest, blobs: artifact.blobs, description: description)
            return Attachment(artifact: source, link: .referrer(subject: subject), kind: Self.sbomKind)
        }
        let path = workspace.makePath("sbom.spdx.json")
        let (digest, size) = try await BlockingWork.run {
            let file = try FileSink(path: path)
            let hashing = HashingSink(forwardingTo: file)
            do {
                try SPDXDocument.write(record) { try hashing.write($0) }
                try file.close()
            } catch {
                file.discard()
                throw error
            }
            return (hashing.finalize(), hashing.count)
        }
        let artifact = try ReferrerArtifact(documentDigest: digest, size: size, mediaType: SPDXDocument.mediaType,
                                            title: "sbom.spdx.json", subject: subject, created: record.created)
        let source = MemoryImageSource(manifest: artifact.manifest, blobs: artifact.blobs, files: [digest: path], description: description)
        return Attachment(artifact: source, link: .referrer(subject: subject), kind: Self.sbomKind)
    }
}
