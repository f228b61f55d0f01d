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

    /// index.json's entries named the cosign way for `digest` (`sha256-HEX.sig`, `.att`,
    /// `.sbom`, bare or after a repository, `REPO:sha256-HEX.sig`), each read at its digest.
    /// With several repositories' entries, the one of this source's own repository wins.
    public func cosignTags(of digest: Digest) async throws -> [TaggedArtifact] {
        let (directory, location, name) = (self.directory, description, self.name)
        let entries = try await BlockingWork.run { try OCILayout.readIndex(directory, location: location) }
        let ownRepository = name.flatMap { name in name.lastIndex(of: ":").map { String(name[..<$0]) } }
        return OCILayout.cosignSuffixes.compactMap { suffix -> TaggedArtifact? in
            let tag = "\(ReferrersIndex.tag(for: digest)).\(suffix)"
            let named = entries.filter { OCILayout.refName($0) == tag || OCILayout.refName($0)?.hasSuffix(":" + tag) == true }
            guard let chosen = named.first(where: { OCILayout.refName($0) == ownRepository.map { $0 + ":" + tag } }) ?? named.first else { return nil }
            return TaggedArtifact(tag: tag, source: PinnedSource(base: self, digest: chosen.digest))
        }
    }
}
