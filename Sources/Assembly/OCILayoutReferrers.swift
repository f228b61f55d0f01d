import Foundation
import OCI
import Streams

extension OCILayoutSource {
    /// index.json's artifact entries whose manifest names `digest` as its subject.
    public func referrers(of digest: Digest) async throws -> [Descriptor] {
        let (directory, location) = (self.directory, description)
        return try await BlockingWork.run {
            try OCILayout.readIndex(directory, location: location).filter { entry in
                guard entry.artifactType != nil,
                      let manifest = try? Self.readManifest(entry, directory: directory, location: location),
                      let subject = try? manifest.decodeManifest().subject else { return false }
                return subject.digest == digest
            }
        }
    }

    /// Entries named the cosign way beside `digest` (`sha256-HEX.sig`, `.att`, `.sbom`).
    public func cosignTags(of digest: Digest) async throws -> [TaggedArtifact] {
        let (directory, location) = (self.directory, description)
        let names = try await BlockingWork.run { try OCILayout.readIndex(directory, location: location).compactMap(OCILayout.refName) }
        return OCILayout.cosignSuffixes.map { ReferrersIndex.tag(for: digest) + "." + $0 }.filter(names.contains).map { tag in
            TaggedArtifact(tag: tag, source: OCILayoutSource(directory: directory, name: tag))
        }
    }
}
