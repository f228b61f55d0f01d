import CCrypto

/// Incremental SHA-1, for what the SPDX format requires of every file entry (SPDX 2.3 §8.4);
/// never for content addressing.
public final class SHA1Hasher: @unchecked Sendable {
    private let context: OpaquePointer
    private var raw: [UInt8]?

    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha1(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard raw == nil, let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// The lowercase hex digest (idempotent).
    public func finalize() -> String { hexString(finalizeBytes()) }

    /// The 20 bytes of the hash (idempotent).
    public func finalizeBytes() -> [UInt8] {
        if let raw { return raw }
        var output = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &output, &length)
        raw = output
        return output
    }
}
