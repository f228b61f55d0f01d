import ArgumentParser
import Foundation
import Signing

/// `samforge generate-key-pair`: cosign's key pair, as `cosign generate-key-pair` writes it.
struct GenerateKeyPairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-key-pair",
        abstract: "Write a cosign key pair: cosign.key and cosign.pub.",
        usage: "samforge generate-key-pair",
        discussion: """
        Writes an ECDSA P-256 key pair in the current directory, as cosign generate-key-pair \
        does: cosign.key (mode 0600, encrypted as cosign encrypts it: scrypt and nacl \
        secretbox, PEM ENCRYPTED SIGSTORE PRIVATE KEY) and cosign.pub (PEM PUBLIC KEY).
        The password comes from COSIGN_PASSWORD (an empty value is an empty password), else \
        from a prompt on a terminal; never from the command line.
        Existing cosign.key or cosign.pub files are never overwritten.
        Examples:
          COSIGN_PASSWORD="$SECRET" samforge generate-key-pair
          samforge verify --key cosign.pub registry.example.com/team/app:1
        """
    )

    static let keyFile = "cosign.key", publicFile = "cosign.pub"

    func run() throws {
        for name in [Self.keyFile, Self.publicFile] where FileManager.default.fileExists(atPath: name) {
            throw UsageError("\(name) already exists in \(FileManager.default.currentDirectoryPath): samforge never overwrites a key; move it away or run in another directory")
        }
        let password = try Password.read(confirm: true, purpose: "generate-key-pair")
        let key = try SigningKey.generate()
        let encrypted = PEMBlock(type: EncryptedKey.sigstoreType, bytes: try EncryptedKey.encrypt(try key.pkcs8(), password: password)).encoded
        try Self.create(Self.keyFile, encrypted, mode: 0o600)
        do { try Self.create(Self.publicFile, key.publicKey.pem, mode: 0o644) } catch {
            unlink(Self.keyFile)
            throw error
        }
        Output.line("Private key written to \(Self.keyFile)")
        Output.line("Public key written to \(Self.publicFile)")
    }

    /// Creates `name` only if it does not exist (O_EXCL: no race with another writer), with
    /// `mode` from the start, so the private key is never readable by others, even briefly.
    static func create(_ name: String, _ bytes: [UInt8], mode: mode_t) throws {
        let descriptor = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw errno == EEXIST ? UsageError("\(name) already exists: samforge never overwrites a key")
                                  : UsageError("cannot write \(name): \(reason)")
        }
        defer { close(descriptor) }
        fchmod(descriptor, mode)  // whatever the umask
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            unlink(name)
            throw UsageError("cannot write \(name): \(String(cString: strerror(errno)))")
        }
    }
}
