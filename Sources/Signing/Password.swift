import Foundation

/// The password of cosign's encrypted keys, as cosign takes it: `COSIGN_PASSWORD` (which may be
/// empty), else a prompt on the terminal. Never an argument. Read once: the variable is then
/// removed from samforge's environment, so no program samforge starts (a credential helper)
/// inherits it.
public enum Password {
    public static let variable = "COSIGN_PASSWORD"

    /// - Parameter confirm: ask twice on a terminal (a new key), as cosign does.
    public static func read(confirm: Bool, purpose: String) throws -> SecretBytes {
        if let value = getenv(variable) {
            let secret = SecretBytes(copying: UnsafeRawBufferPointer(start: value, count: strlen(value)))
            unsetenv(variable)
            return secret
        }
        guard isatty(0) == 1 else {
            throw SigningError.noPassword("\(purpose) needs a password: set \(variable) (an empty value is an empty password), or run on a terminal to be asked")
        }
        let first = try prompt("Enter password for private key: ")
        guard confirm else { return first }
        let second = try prompt("Enter password for private key again: ")
        let same = first.withUnsafeBytes { a in second.withUnsafeBytes { b in a.count == b.count && a.elementsEqual(b) } }
        guard same else { throw SigningError.noPassword("the passwords do not match") }
        return first
    }

    /// One line from the terminal with echo off.
    static func prompt(_ text: String) throws -> SecretBytes {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard tty >= 0 else { throw SigningError.noPassword("no terminal to ask for the password: set \(variable)") }
        defer { close(tty) }
        _ = text.withCString { write(tty, $0, strlen($0)) }
        var saved = termios()
        let hasTerminal = tcgetattr(tty, &saved) == 0
        if hasTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(tty, TCSAFLUSH, &silent)
        }
        defer {
            if hasTerminal { tcsetattr(tty, TCSAFLUSH, &saved) }
            _ = write(tty, "\n", 1)
        }
        let line = SecretBytes(count: 4096)
        var length = 0
        line.withUnsafeMutableBytes { buffer in
            var byte: UInt8 = 0
            while length < buffer.count, Glibc.read(tty, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
                if byte != UInt8(ascii: "\r") { buffer[length] = byte; length += 1 }
            }
            byte = 0
        }
        return line.prefix(length)
    }
}
