import CCrypto
import Foundation
import OCI

/// cosign's default key: ECDSA on P-256, signatures over SHA-256, ASN.1 DER. Other key types
/// (RSA, Ed25519, P-384) are refused by name for now.
enum KeyCurve {
    /// OpenSSL's name for P-256.
    static let groupName = "prime256v1"

    /// Takes ownership of `pkey` when it is a P-256 key; frees it and throws otherwise.
    static func checked(_ pkey: OpaquePointer, what: String) throws -> OpaquePointer {
        if EVP_PKEY_is_a(pkey, "EC") == 1 {
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            if EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1,
               String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) == groupName {
                return pkey
            }
            EVP_PKEY_free(pkey)
            throw SigningError.unsupportedKey("\(what) is an ECDSA key on a curve other than P-256; samforge supports ECDSA P-256 keys only for now (cosign generate-key-pair's default)")
        }
        let type = EVP_PKEY_get0_type_name(pkey).map { String(cString: $0) } ?? "unknown"
        EVP_PKEY_free(pkey)
        throw SigningError.unsupportedKey("\(what) is an \(type) key; samforge supports ECDSA P-256 keys only for now (cosign generate-key-pair's default)")
    }

    static func openSSLFailure(_ what: String) -> SigningError {
        let code = ERR_get_error()
        ERR_clear_error()
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return .crypto("\(what) failed (\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))")
    }
}

/// A private signing key, held by OpenSSL (which wipes it when freed).
public final class SigningKey: @unchecked Sendable {
    let pkey: OpaquePointer
    public let publicKey: VerifyingKey

    init(owning pkey: OpaquePointer, what: String) throws {
        self.pkey = try KeyCurve.checked(pkey, what: what)
        publicKey = try VerifyingKey(borrowing: self.pkey)
    }

    deinit { EVP_PKEY_free(pkey) }

    /// A new P-256 key from OpenSSL's generator.
    public static func generate() throws -> SigningKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw KeyCurve.openSSLFailure("creating a key") }
        defer { EVP_PKEY_CTX_free(context) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, "P-256") == 1,
              EVP_PKEY_generate(context, &pkey) == 1, let pkey else { throw KeyCurve.openSSLFailure("generating a P-256 key") }
        return try SigningKey(owning: pkey, what: "the generated key")
    }

    /// A PKCS #8 `PrivateKeyInfo` (DER), as cosign keeps inside its encrypted keys.
    public static func fromPKCS8(_ der: SecretBytes, what: String) throws -> SigningKey {
        let info: OpaquePointer? = der.withUnsafeBytes { bytes in
            var cursor: UnsafePointer<UInt8>? = bytes.bindMemory(to: UInt8.self).baseAddress
            return d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, bytes.count)
        }
        guard let info else {
            ERR_clear_error()
            throw SigningError.badKey("\(what) does not hold a PKCS #8 private key (cosign keeps PKCS #8 inside its encrypted keys)")
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        guard let pkey = EVP_PKCS82PKEY(info) else {
            ERR_clear_error()
            throw SigningError.badKey("\(what) holds a PKCS #8 private key OpenSSL cannot read")
        }
        return try SigningKey(owning: pkey, what: what)
    }

    /// A plain PEM private key: PKCS #8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`. The PEM text is
    /// read by OpenSSL straight from `pem`, so the key never lands in a Swift string.
    static func fromPlainPEM(_ pem: SecretBytes, what: String) throws -> SigningKey {
        let pkey: OpaquePointer? = pem.withUnsafeBytes { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { BIO_free(bio) }
            // No password callback: an OpenSSL-encrypted PEM must fail here, never prompt.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let pkey else {
            ERR_clear_error()
            throw SigningError.badKey("\(what) is not a readable PRIVATE KEY or EC PRIVATE KEY (an OpenSSL-encrypted PEM is not supported: use cosign's encrypted format, samforge generate-key-pair)")
        }
        return try SigningKey(owning: pkey, what: what)
    }

    /// The key as PKCS #8 DER, for cosign's encrypted format.
    public func pkcs8() throws -> SecretBytes {
        guard let info = EVP_PKEY2PKCS8(pkey) else { throw KeyCurve.openSSLFailure("encoding the key") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, nil)
        guard length > 0 else { throw KeyCurve.openSSLFailure("encoding the key") }
        let secret = SecretBytes(count: Int(length))
        let written = secret.withUnsafeMutableBytes { bytes -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = bytes.bindMemory(to: UInt8.self).baseAddress
            return i2d_PKCS8_PRIV_KEY_INFO(info, &cursor)
        }
        guard written == length else { throw KeyCurve.openSSLFailure("encoding the key") }
        return secret
    }

    /// ECDSA over SHA-256 of `message`, ASN.1 DER (what cosign's annotation and DSSE carry).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw KeyCurve.openSSLFailure("signing") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, pkey) == 1 else { throw KeyCurve.openSSLFailure("signing") }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw KeyCurve.openSSLFailure("signing") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { throw KeyCurve.openSSLFailure("signing") }
        return Array(signature.prefix(length))
    }
}

/// A public key that checks signatures: PEM `PUBLIC KEY` (PKIX), as `cosign.pub`.
public final class VerifyingKey: @unchecked Sendable {
    let pkey: OpaquePointer
    /// The DER `SubjectPublicKeyInfo`.
    public let spki: [UInt8]

    init(owning pkey: OpaquePointer, what: String) throws {
        self.pkey = try KeyCurve.checked(pkey, what: what)
        spki = try Self.encode(self.pkey)
    }

    /// The public half of a private key (OpenSSL counts the reference).
    convenience init(borrowing pkey: OpaquePointer) throws {
        guard EVP_PKEY_up_ref(pkey) == 1 else { throw KeyCurve.openSSLFailure("reading the public key") }
        try self.init(owning: pkey, what: "the key")
    }

    deinit { EVP_PKEY_free(pkey) }

    public convenience init(pem text: [UInt8], what: String) throws {
        guard let block = PEMBlock(parsing: text) else {
            throw SigningError.badKey("\(what) is not a PEM public key (expected -----BEGIN PUBLIC KEY-----, as cosign.pub)")
        }
        guard block.type == "PUBLIC KEY" else {
            if block.type.hasSuffix("PRIVATE KEY") {
                throw SigningError.badKey("\(what) is a private key; verifying takes the public key (cosign.pub)")
            }
            throw SigningError.badKey("\(what) holds a PEM \(block.type) block, not a PUBLIC KEY (as cosign.pub)")
        }
        try self.init(spki: block.bytes, what: what)
    }

    public convenience init(spki der: [UInt8], what: String) throws {
        let pkey: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let pkey else {
            ERR_clear_error()
            throw SigningError.badKey("\(what) is not a readable public key (PKIX SubjectPublicKeyInfo)")
        }
        try self.init(owning: pkey, what: what)
    }

    private static func encode(_ pkey: OpaquePointer) throws -> [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        guard length > 0 else { throw KeyCurve.openSSLFailure("encoding the public key") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(pkey, &cursor)
        }
        guard written == length else { throw KeyCurve.openSSLFailure("encoding the public key") }
        return der
    }

    /// `cosign.pub`'s text.
    public var pem: [UInt8] { PEMBlock(type: "PUBLIC KEY", bytes: spki).encoded }

    /// How a Sigstore bundle names the key: base64 of SHA-256 over the DER (cosign's hint).
    public var hint: String {
        let hasher = SHA256Hasher()
        hasher.update(spki)
        return Data(hexBytes(hasher.finalize().hex)).base64EncodedString()
    }

    /// True when `signature` (DER) is this key's ECDSA signature over SHA-256 of `message`.
    public func verifies(_ signature: [UInt8], over message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context); ERR_clear_error() }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, pkey) == 1 else { return false }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var high: UInt8?
    for character in hex.utf8 {
        let value: UInt8 = character <= 0x39 ? character - 0x30 : (character | 0x20) - 0x61 + 10
        if let pending = high { bytes.append(pending << 4 | value); high = nil } else { high = value }
    }
    return bytes
}
