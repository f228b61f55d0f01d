import Foundation
import OCI

extension DockerArchiveSource {
    /// The manifest exactly as it was written, when the archive holds an OCI layout beside
    /// manifest.json (Docker 25 and later, samforge): the first manifest index.json leads to
    /// (through one level of index) whose config and layers are the ones manifest.json names, in
    /// order. nil when there is no layout or none matches: the caller rebuilds one. Each
    /// manifest read is small, bounded and verified against its digest.
    static func exactManifest(tar: TarIndex, archive: PositionalFile, matching image: ImageManifest, what: String) throws -> RawManifest? {
        guard let indexMember = tar.resolve(OCILayout.indexFile), indexMember.size <= Int64(OCILayout.indexLimit),
              let index = try? UntrustedJSON.decode(ImageIndex.self, from: Data(archive.read(at: indexMember.offset, count: Int(indexMember.size))))
        else { return nil }
        let wanted = [image.config.digest] + image.layers.map(\.digest)
        var candidates = index.manifests
        var visited = 0
        while !candidates.isEmpty, visited < 64 {
            let candidate = candidates.removeFirst()
            visited += 1
            guard let manifest = try blob(candidate, tar: tar, archive: archive) else { continue }
            if manifest.isIndex {
                if let children = try? manifest.decodeIndex().manifests { candidates += children }
                continue
            }
            guard let decoded = try? manifest.decodeManifest(),
                  [decoded.config.digest] + decoded.layers.map(\.digest) == wanted else { continue }
            return manifest
        }
        return nil
    }

    /// A manifest blob of the archive's layout, verified; nil when it is not there or not one.
    private static func blob(_ descriptor: Descriptor, tar: TarIndex, archive: PositionalFile) throws -> RawManifest? {
        guard descriptor.size <= Int64(RawManifest.maximumSize),
              let member = tar.resolve(DockerArchiveFormat.memberName(for: descriptor.digest)), member.size == descriptor.size
        else { return nil }
        let bytes = try archive.read(at: member.offset, count: Int(member.size))
        guard Digest.of(bytes) == descriptor.digest else { return nil }
        return try? RawManifest(bytes: bytes, declaredType: descriptor.mediaType)
    }
}
