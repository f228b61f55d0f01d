/// A random name for a temporary file (32 hex digits). Not Foundation's UUID: without /dev
/// (a bare chroot) it gives all zeros, and two blobs written at once would share one name.
/// The standard library's generator asks the kernel (getrandom(2)), which needs no file.
public func uniqueName() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<2).map { _ in
        let hex = String(generator.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }.joined()
}
