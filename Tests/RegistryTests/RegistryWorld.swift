import Foundation
import OCI
import Registry
import Streams
import TestSupport

/// Clients for each registry of the test world.
enum RegistryWorld {
    static func plainClient() -> RegistryClient { RegistryClient(options: RegistryOptions(retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.05))) }

    static func client(credentials: [String: Credentials], caFile: String? = nil) -> RegistryClient {
        RegistryClient(options: RegistryOptions(caFile: caFile, credentials: LayeredCredentials(overrides: credentials, fallback: nil),
                                                retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.05)))
    }

    static func tokenClient(password: String = TestWorld.tokenPassword) -> RegistryClient {
        client(credentials: [TestWorld.token: Credentials(username: TestWorld.tokenUser, password: password)])
    }

    static func basicClient(password: String = TestWorld.basicPassword) -> RegistryClient {
        client(credentials: [TestWorld.basic: Credentials(username: TestWorld.basicUser, password: password)])
    }

    static func reference(_ host: String, _ path: String) throws -> Reference { try Reference(parsing: "\(host)/\(path)") }

    /// Uploads a small blob and a manifest naming it (config = that blob), so a tag exists.
    /// `label`: a config label, for an image of its own digest.
    static func pushTinyImage(_ client: RegistryClient, to reference: Reference, label: String? = nil) async throws -> RawManifest {
        let labels = label.map { #"{"Labels":{"test":"\#($0)"}}"# } ?? "{}"
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":\#(labels)}"#.utf8)
        let digest = Digest.of(config)
        let repository = Repository(reference)
        try await client.uploadBlob(digest, size: Int64(config.count), to: repository, from: MemorySource(config))
        let manifest = ImageManifest(mediaType: MediaType.ociManifest,
                                     config: Descriptor(mediaType: MediaType.ociConfig, digest: digest, size: Int64(config.count)), layers: [])
        let raw = try RawManifest.encoding(manifest, mediaType: MediaType.ociManifest)
        try await client.putManifest(raw, to: reference)
        return raw
    }

    /// Random-looking bytes of a given size in a file, written a buffer at a time.
    static func makeFile(size: Int64, seed: UInt64 = 42) throws -> String {
        let path = try TemporaryDirectory().path + "/blob"
        let sink = try FileSink(path: path)
        var state = seed
        var buffer = [UInt64](repeating: 0, count: 128 * 1024)
        var written: Int64 = 0
        while written < size {
            for index in buffer.indices {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                buffer[index] = state
            }
            let count = Int(min(Int64(buffer.count * 8), size - written))
            try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            written += Int64(count)
        }
        try sink.close()
        return path
    }

    static func digest(ofFile path: String) throws -> Digest {
        let hashing = HashingSink()
        try FileSource(path: path).pump(to: hashing)
        return hashing.finalize()
    }
}
