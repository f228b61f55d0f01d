#if canImport(Glibc)
/// glibc's `mallopt(3)` (in malloc.h, which the Glibc module does not export).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// glibc gives each thread that allocates its own malloc arena: the blocking I/O runs on
/// threads of its own, so on a loaded machine (more of them alive at once) the same work would
/// peak higher. A few arenas keep memory flat and predictable.
func limitMallocArenas() {
    let arenaMax: Int32 = -8  // M_ARENA_MAX
    _ = glibcMallopt(arenaMax, 4)
}
#else
func limitMallocArenas() {}
#endif
