import Foundation

/// Reading keys from files or from a secret's contents: every private key format cosign
/// reads, told apart by the PEM block's type.
public enum KeyFile {
    /// Key files are small; anything larger is not a key.
    static let sizeLimit = 64 << 10

    /// A private key: cosign's encrypted key (asking `password` only then), PKCS #8
    /// `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`.
    public static func loadPrivate(path: String, password: () throws -> SecretBytes) throws -> SigningKey {
        try loadPrivate(contents: try readSecret(path: path), what: path, password: password)
    }

    /// The same from the key's text (a CI secret's value); `what` names it in errors.
    public static func loadPrivate(contents: SecretBytes, what: String, password: () throws -> SecretBytes) throws -> SigningKey {
        guard let type = pemType(contents) else {
            throw SigningError.badKey("\(what) is not a PEM private key (expected cosign.key, as cosign generate-key-pair or samforge generate-key-pair write it)")
        }
        switch type {
        case EncryptedKey.sigstoreType, EncryptedKey.cosignType:
            // The body is ciphertext: handling it as plain bytes exposes nothing.
            guard let block = contents.withUnsafeBytes({ PEMBlock(parsing: Array($0)) }) else {
                throw SigningError.badKey("\(what): the \(type) block is not valid PEM")
            }
            let pkcs8 = try EncryptedKey.decrypt(block.bytes, password: try password(), what: what)
            return try SigningKey.fromPKCS8(pkcs8, what: what)
        case "PRIVATE KEY", "EC PRIVATE KEY":
            return try SigningKey.fromPlainPEM(contents, what: what)
        case "RSA PRIVATE KEY":
            throw SigningError.unsupportedKey("\(what) is an RSA key; samforge supports ECDSA P-256 keys only for now (cosign generate-key-pair's default)")
        case "PUBLIC KEY":
            throw SigningError.badKey("\(what) is a public key; signing needs the private key (cosign.key)")
        default:
            throw SigningError.badKey("\(what) holds a PEM \(type) block, not a private key cosign reads")
        }
    }

    public static func loadPublic(path: String) throws -> VerifyingKey {
        let text = try readSecret(path: path).withUnsafeBytes { Array($0) }
        return try VerifyingKey(pem: text, what: path)
    }

    /// The type of the first PEM block (`ENCRYPTED SIGSTORE PRIVATE KEY`), read from the
    /// BEGIN line alone.
    static func pemType(_ contents: SecretBytes) -> String? {
        contents.withUnsafeBytes { bytes -> String? in
            let marker = Array("-----BEGIN ".utf8)
            guard bytes.count > marker.count,
                  let start = (0...(bytes.count - marker.count)).first(where: { bytes[$0..<$0 + marker.count].elementsEqual(marker) }) else { return nil }
            var type: [UInt8] = []
            for index in (start + marker.count)..<bytes.count {
                if bytes[index] == UInt8(ascii: "-") { return String(decoding: type, as: UTF8.self) }
                guard bytes[index] >= 0x20, type.count < 64 else { return nil }
                type.append(bytes[index])
            }
            return nil
        }
    }

    /// A file's bytes straight into a wiped-on-release buffer.
    public static func readSecret(path: String) throws -> SecretBytes {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw SigningError.badKey("cannot read the key \(path): \(reason)")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw SigningError.badKey("the key \(path) is not a regular file")
        }
        guard status.st_size <= sizeLimit else {
            throw SigningError.badKey("the key \(path) is \(status.st_size) bytes: too large for a key file")
        }
        let secret = SecretBytes(count: Int(status.st_size))
        let complete = secret.withUnsafeMutableBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = read(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        guard complete else { throw SigningError.badKey("cannot read the key \(path): it changed while being read") }
        return secret
    }
}
