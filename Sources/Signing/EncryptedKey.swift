import CCrypto
import CSodium
import Foundation
import OCI

/// cosign's encrypted private key (go-securesystemslib's `encrypted` package): the PEM body
/// is JSON, `{"kdf":{"name":"scrypt","params":{"N":…,"r":8,"p":1},"salt":…},
/// "cipher":{"name":"nacl/secretbox","nonce":…},"ciphertext":…}`; the key is
/// scrypt(password, salt, N, r, p, 32), the box is libsodium's secretbox (MAC then ciphertext),
/// the plaintext PKCS #8 DER.
public enum EncryptedKey {
    public static let sigstoreType = "ENCRYPTED SIGSTORE PRIVATE KEY"
    /// The older label cosign still reads.
    public static let cosignType = "ENCRYPTED COSIGN PRIVATE KEY"
    /// N = 2^15 (legacy), 2^16 (what cosign writes), 2^17 (OWASP); r = 8, p = 1. Anything else
    /// is refused before any work, as securesystemslib does (a huge N is a denial of service).
    public static let acceptedN: Set<Int64> = [1 << 15, 1 << 16, 1 << 17]
    public static let defaultN: Int64 = 1 << 16

    /// Opens the box; a wrong password is `SigningError.wrongPassword`.
    public static func decrypt(_ document: [UInt8], password: SecretBytes, what: String) throws -> SecretBytes {
        let fields = try Fields(document, what: what)
        let key = try scrypt(password: password, salt: fields.salt, n: fields.n)
        guard fields.ciphertext.count >= Int(crypto_secretbox_macbytes()) else {
            throw SigningError.badKey("\(what): the encrypted key is too short to hold a secretbox")
        }
        let plaintext = SecretBytes(count: fields.ciphertext.count - Int(crypto_secretbox_macbytes()))
        let opened = plaintext.withUnsafeMutableBytes { out in
            key.withUnsafeBytes { keyBytes in
                crypto_secretbox_open_easy(out.bindMemory(to: UInt8.self).baseAddress, fields.ciphertext, UInt64(fields.ciphertext.count),
                                           fields.nonce, keyBytes.bindMemory(to: UInt8.self).baseAddress!)
            }
        }
        guard opened == 0 else {
            throw SigningError.wrongPassword("\(what): wrong password (COSIGN_PASSWORD does not open this key)")
        }
        return plaintext
    }

    /// Seals `plaintext` (PKCS #8) under `password` with a new random salt and nonce; returns
    /// the JSON document, byte for byte what go-securesystemslib writes.
    public static func encrypt(_ plaintext: SecretBytes, password: SecretBytes, n: Int64 = defaultN) throws -> [UInt8] {
        let salt = try random(32), nonce = try random(Int(crypto_secretbox_noncebytes()))
        let key = try scrypt(password: password, salt: salt, n: n)
        var sealed = [UInt8](repeating: 0, count: plaintext.count + Int(crypto_secretbox_macbytes()))
        let status = plaintext.withUnsafeBytes { message in
            key.withUnsafeBytes { keyBytes in
                crypto_secretbox_easy(&sealed, message.bindMemory(to: UInt8.self).baseAddress!, UInt64(message.count),
                                      nonce, keyBytes.bindMemory(to: UInt8.self).baseAddress!)
            }
        }
        guard status == 0 else { throw SigningError.crypto("sealing the key failed") }
        return GoJSON.encode(.object([
            ("kdf", .object([("name", .string("scrypt")),
                             ("params", .object([("N", .int(n)), ("r", .int(8)), ("p", .int(1))])),
                             ("salt", .string(Data(salt).base64EncodedString()))])),
            ("cipher", .object([("name", .string("nacl/secretbox")), ("nonce", .string(Data(nonce).base64EncodedString()))])),
            ("ciphertext", .string(Data(sealed).base64EncodedString())),
        ]))
    }

    static func scrypt(password: SecretBytes, salt: [UInt8], n: Int64) throws -> SecretBytes {
        let key = SecretBytes(count: 32)
        // 128·r·N bytes for N = 2^17 is 128 MiB; OpenSSL's default ceiling is 32 MiB.
        let status = password.withUnsafeBytes { pass in
            key.withUnsafeMutableBytes { out in
                EVP_PBE_scrypt(pass.bindMemory(to: CChar.self).baseAddress, pass.count, salt, salt.count,
                               UInt64(n), 8, 1, 256 << 20, out.bindMemory(to: UInt8.self).baseAddress, out.count)
            }
        }
        guard status == 1 else { throw KeyCurve.openSSLFailure("deriving the key (scrypt)") }
        return key
    }

    static func random(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw KeyCurve.openSSLFailure("reading random bytes") }
        return bytes
    }

    /// The JSON's fields, checked as securesystemslib checks them. Go matches member names
    /// case-insensitively; so does this.
    struct Fields {
        let salt: [UInt8], nonce: [UInt8], ciphertext: [UInt8], n: Int64

        init(_ document: [UInt8], what: String) throws {
            func bad(_ detail: String) -> SigningError { .badKey("\(what): not a cosign encrypted key (\(detail))") }
            guard let json = try? JSONValue(parsing: document) else { throw bad("the PEM body is not JSON") }
            guard let kdf = json.member("kdf"), let cipher = json.member("cipher") else { throw bad("no kdf or cipher") }
            guard kdf.member("name")?.stringValue == "scrypt" else { throw bad("the kdf is not scrypt") }
            guard cipher.member("name")?.stringValue == "nacl/secretbox" else { throw bad("the cipher is not nacl/secretbox") }
            let params = kdf.member("params")
            guard case .int(let n)? = params?.member("N"), case .int(8)? = params?.member("r"), case .int(1)? = params?.member("p"),
                  EncryptedKey.acceptedN.contains(n) else {
                throw bad("unsupported scrypt parameters: cosign uses N = 2^15, 2^16 or 2^17 with r = 8, p = 1")
            }
            guard let salt = kdf.member("salt")?.stringValue.flatMap(Base64.decode),
                  let nonce = cipher.member("nonce")?.stringValue.flatMap(Base64.decode),
                  let ciphertext = json.member("ciphertext")?.stringValue.flatMap(Base64.decode) else {
                throw bad("salt, nonce or ciphertext is missing or not base64")
            }
            guard nonce.count == Int(crypto_secretbox_noncebytes()) else { throw bad("the nonce is not 24 bytes") }
            (self.salt, self.nonce, self.ciphertext, self.n) = (salt, nonce, ciphertext, n)
        }
    }
}

extension JSONValue {
    /// An object member by name, matched as Go's encoding/json matches: exactly, else
    /// ignoring case.
    func member(_ name: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        if let exact = object[name] { return exact }
        let folded = name.lowercased()
        return object.first { $0.key.lowercased() == folded }?.value
    }
}

/// Base64 as Go's DSSE and JSON readers take it: standard, else URL-safe; padding optional.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while normalized.count % 4 != 0 { normalized += "=" }
        return Data(base64Encoded: normalized).map(Array.init)
    }
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
