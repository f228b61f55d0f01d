/// Media types of the Docker schema2 and OCI image formats.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"

    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// What a manifest GET accepts: without the OCI types some registries refuse OCI content,
    /// without the Docker types some downgrade to schema1.
    public static let manifestAccept = [ociIndex, ociManifest, dockerManifestList, dockerManifest]

    public static func isIndex(_ type: String) -> Bool { type == ociIndex || type == dockerManifestList }
    public static func isManifest(_ type: String) -> Bool { type == ociManifest || type == dockerManifest }
    public static func isDocker(_ type: String) -> Bool { type.hasPrefix("application/vnd.docker.") }

    /// How a layer blob is compressed, judged from its media type.
    public enum Compression: String, Sendable { case none, gzip, zstd }

    public static func layerCompression(_ type: String) -> Compression {
        if type.hasSuffix("+zstd") || type.hasSuffix(".zstd") { return .zstd }
        if type.hasSuffix("+gzip") || type.hasSuffix(".gzip") || type.hasSuffix(".gz") { return .gzip }
        return .none
    }
}
