#if canImport(Glibc)
import Glibc
#endif

/// libarchive converts entry names through the C library's locale. Swift never calls setlocale,
/// so the process runs in "C" (ASCII), where libarchive 3.6 cannot convert non-ASCII names and,
/// writing PAX, even dereferences the failed conversion (strlen(NULL) building the PaxHeader name).
/// Every libarchive call that touches names therefore runs with a UTF-8 LC_CTYPE for the calling
/// thread only (`uselocale`), leaving the process locale alone.
enum UTF8Locale {
    private nonisolated(unsafe) static let handle: locale_t? = {
        for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] {
            if let locale = newlocale(LC_CTYPE_MASK, name, nil) { return locale }
        }
        return nil
    }()

    /// Without any UTF-8 locale non-ASCII names must be refused before they reach libarchive.
    static var isAvailable: Bool { handle != nil }

    static func run<T>(_ body: () throws -> T) rethrows -> T {
        guard let handle else { return try body() }
        let previous = uselocale(handle)
        defer { uselocale(previous) }
        return try body()
    }
}
