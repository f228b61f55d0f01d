import Foundation
import OCI
import Testing
import TestSupport
@testable import Signing

/// Keys samforge makes and reads, checked against an independent implementation (Python's
/// cryptography, PyNaCl and hashlib.scrypt) and OpenSSL's command line.
@Suite struct KeyTests {
    static func encryptedPEM(_ key: SigningKey, password: String, n: Int64 = EncryptedKey.defaultN) throws -> [UInt8] {
        PEMBlock(type: EncryptedKey.sigstoreType, bytes: try EncryptedKey.encrypt(try key.pkcs8(), password: .text(password), n: n)).encoded
    }

    static func write(_ bytes: [UInt8], name: String = "cosign.key") throws -> String {
        let path = try TemporaryDirectory().path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: [Int64(1 << 15), 1 << 16, 1 << 17])
    func anEncryptedKeyOpensHereAndInPython(n: Int64) throws {
        let key = try SigningKey.generate()
        let path = try Self.write(try Self.encryptedPEM(key, password: "correct horse", n: n))
        let reread = try KeyFile.loadPrivate(path: path) { .text("correct horse") }
        #expect(reread.publicKey.spki == key.publicKey.spki)
        let python = try CosignPython.run(["decrypt-key", path], password: "correct horse")
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdout == String(decoding: key.publicKey.pem, as: UTF8.self))
    }

    @Test func aKeyPythonEncryptedOpensHere() throws {
        let directory = try TemporaryDirectory().path
        let made = try CosignPython.run(["generate-key-pair", directory], password: "from python")
        #expect(made.status == 0, "\(made.stderr)")
        let key = try KeyFile.loadPrivate(path: directory + "/cosign.key") { .text("from python") }
        #expect(key.publicKey.spki == (try KeyFile.loadPublic(path: directory + "/cosign.pub")).spki)
    }

    @Test func theWrongPasswordAndATamperedBoxAreWrongPasswords() throws {
        let key = try SigningKey.generate()
        let path = try Self.write(try Self.encryptedPEM(key, password: "right"))
        #expect(throws: SigningError.wrongPassword("\(path): wrong password (COSIGN_PASSWORD does not open this key)")) {
            _ = try KeyFile.loadPrivate(path: path) { .text("wrong") }
        }
        var document = try EncryptedKey.encrypt(try key.pkcs8(), password: .text("right"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])
        let ciphertext = try #require(json["ciphertext"] as? String)
        var box = Array(try #require(Data(base64Encoded: ciphertext)))
        box[box.count - 1] ^= 1
        document = Array(String(decoding: document, as: UTF8.self)
            .replacingOccurrences(of: ciphertext, with: Data(box).base64EncodedString()).utf8)
        #expect(throws: SigningError.self) { _ = try EncryptedKey.decrypt(document, password: .text("right"), what: "k") }
    }

    /// securesystemslib refuses any other scrypt cost before deriving anything (a huge N would
    /// be a denial of service); so does samforge.
    @Test(arguments: [#"{"N":1024,"r":8,"p":1}"#, #"{"N":1048576,"r":8,"p":1}"#, #"{"N":65536,"r":16,"p":1}"#, #"{"N":65536,"r":8,"p":2}"#])
    func otherScryptParametersAreRefused(params: String) throws {
        let document = Array(#"{"kdf":{"name":"scrypt","params":\#(params),"salt":"AAAA"},"cipher":{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"ciphertext":"AAAA"}"#.utf8)
        #expect(throws: SigningError.badKey("k: not a cosign encrypted key (unsupported scrypt parameters: cosign uses N = 2^15, 2^16 or 2^17 with r = 8, p = 1)")) {
            _ = try EncryptedKey.decrypt(document, password: .text("x"), what: "k")
        }
    }

    /// Plain keys as `openssl` writes them: PKCS #8 and SEC1 (cosign import-key-pair's inputs).
    @Test(arguments: [["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                      ["ecparam", "-name", "prime256v1", "-genkey", "-noout"]])
    func plainPKCS8AndSEC1KeysLoad(openssl: [String]) throws {
        let path = try TemporaryDirectory().path + "/key.pem"
        let made = try Command.run("openssl", openssl + ["-out", path])
        #expect(made.status == 0, "\(made.stderr)")
        let key = try KeyFile.loadPrivate(path: path) { Issue.record("a plain key asked for a password"); return .text("") }
        let publicPath = path + ".pub"
        #expect(try Command.run("openssl", ["pkey", "-in", path, "-pubout", "-out", publicPath]).status == 0)
        #expect(key.publicKey.spki == (try KeyFile.loadPublic(path: publicPath)).spki)
    }

    /// Other key types are named and refused, never mistaken.
    @Test(arguments: [(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "RSA"),
                      (["genpkey", "-algorithm", "ED25519"], "ED25519"),
                      (["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], "curve other than P-256")])
    func otherKeyTypesAreRefusedByName(openssl: [String], named: String) throws {
        let path = try TemporaryDirectory().path + "/key.pem"
        #expect(try Command.run("openssl", openssl + ["-out", path]).status == 0)
        do {
            _ = try KeyFile.loadPrivate(path: path) { .text("") }
            Issue.record("loaded an unsupported key")
        } catch let error as SigningError {
            #expect(error.kind == .unsupported)
            #expect(error.description.contains(named) && error.description.contains("ECDSA P-256 keys only"), "\(error)")
        }
        #expect(try Command.run("openssl", ["pkey", "-in", path, "-pubout", "-out", path + ".pub"]).status == 0)
        #expect(throws: SigningError.self) { _ = try KeyFile.loadPublic(path: path + ".pub") }
    }

    @Test(arguments: [("not a key", "is not a PEM private key"),
                      ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "is a public key"),
                      ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "holds a PEM CERTIFICATE block"),
                      ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "is not a readable PRIVATE KEY"),
                      ("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJ9\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n", "not a cosign encrypted key")])
    func unreadableKeyFilesAreOneLineOfInput(contents: String, says: String) throws {
        let path = try Self.write(Array(contents.utf8))
        do {
            _ = try KeyFile.loadPrivate(path: path) { .text("x") }
            Issue.record("loaded \(contents)")
        } catch let error as SigningError {
            #expect(error.kind == .usage)
            #expect(error.description.contains(says), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    /// The hint is cosign's: base64 of SHA-256 over the DER public key.
    @Test func theHintIsBase64OfTheKeysSHA256() throws {
        let key = try SigningKey.generate()
        let path = try Self.write(key.publicKey.pem, name: "cosign.pub")
        let der = try Command.run("openssl", ["pkey", "-pubin", "-in", path, "-outform", "DER", "-out", path + ".der"])
        #expect(der.status == 0)
        let digest = try Command.run("sh", ["-c", "openssl dgst -sha256 -binary \(path).der | base64"])
        #expect(key.publicKey.hint == digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The secret buffers are wiped when released (what the library lets samforge control).
    @Test func secretBytesHoldAndCopyExactly() throws {
        let secret = SecretBytes.text("password")
        #expect(secret.withUnsafeBytes { Array($0) } == Array("password".utf8))
        #expect(secret.prefix(4).withUnsafeBytes { Array($0) } == Array("pass".utf8))
    }
}
