import Attestations
import Foundation
import OCI
import Streams

extension PlanRunner {
    /// The SBOM of `record` as a referrer of `subject`, its document streamed into a file of the
    /// workspace and hashed on the way: the SBOM of a copy of 100,000 files is about 50 MB, and
    /// like every other blob it is never held whole in memory. Returns the artifact and the file.
    func sbomArtifact(_ record: BuildRecord, subject: Descriptor) async throws -> (artifact: ReferrerArtifact, file: String) {
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
        return (artifact, path)
    }
}
