#if canImport(Glibc)
/// glibc's `malloc_trim(3)` (in malloc.h, which the Glibc module does not export).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

/// Gives memory freed by a large phase back to the system. A tree of 100,000 paths is tens of
/// MB of small objects; once a layer is written they are free, but glibc keeps the pages in
/// the arena of the thread that freed them, where the next phase (another thread: the SBOM)
/// cannot use them, so the process would peak at both phases' sum.
public enum MemoryRelease {
    public static func trim() {
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
    }
}
