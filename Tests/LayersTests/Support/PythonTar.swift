/// Layers written by python's tarfile: an independent writer with every entry type, including
/// the ones our writer never produces (devices, fifos, unsafe names, GNU long-name records).
enum PythonTar {
    static let longName = "opt/" + String(repeating: "x", count: 120) + "/file.txt"

    /// Entries: `(name, type, data or link target, mode, uid)`; type is a tarfile constant name.
    private static let script = """
    import io, sys, tarfile
    out, fmt, comp = sys.argv[1], getattr(tarfile, sys.argv[2]), sys.argv[3]
    entries = eval(sys.argv[4])
    with tarfile.open(out, 'w:' + comp, format=fmt) as tar:
        for name, kind, payload, mode, uid in entries:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.uid, info.gid, info.mtime = getattr(tarfile, kind), mode, uid, uid + 1, 1234567890
            data = None
            if kind == 'REGTYPE':
                data = payload.encode()
                info.size = len(data)
            elif kind in ('LNKTYPE', 'SYMTYPE'):
                info.linkname = payload
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    """

    typealias Entry = (name: String, type: String, payload: String, mode: Int, uid: Int)

    /// The sample layer the reader tests list: one of each kind, whiteouts, long and non-ASCII names.
    static let sample: [Entry] = [
        ("./etc/", "DIRTYPE", "", 0o755, 0),
        ("./etc/hosts", "REGTYPE", "127.0.0.1 localhost\n", 0o644, 1000),
        ("./etc/hosts.link", "LNKTYPE", "./etc/hosts", 0o644, 1000),
        ("./etc/localtime", "SYMTYPE", "/usr/share/zoneinfo/UTC", 0o777, 0),
        ("./var/.wh..wh..opq", "REGTYPE", "", 0o644, 0),
        ("./var/.wh.cache", "REGTYPE", "", 0o644, 0),
        (longName, "REGTYPE", "long", 0o600, 0),
        ("données/café.txt", "REGTYPE", "crème", 0o644, 0),
        ("/abs/file", "REGTYPE", "", 0o4755, 0),
        ("dev/null", "CHRTYPE", "", 0o666, 0),
        ("tmp/fifo", "FIFOTYPE", "", 0o644, 0),
    ]

    /// Writes `entries` to `path`; `compression` is "gz", "bz2", "xz" or "" (plain tar).
    static func write(_ entries: [Entry], to path: String, format: String = "PAX_FORMAT", compression: String = "gz") throws {
        let literal = "[" + entries.map { entry in
            "(\(pythonString(entry.name)), '\(entry.type)', \(pythonString(entry.payload)), \(entry.mode), \(entry.uid))"
        }.joined(separator: ", ") + "]"
        try Tool.python(script, [path, format, compression, literal])
    }

    /// A python string literal from explicit code points, so no quoting issue can arise.
    private static func pythonString(_ string: String) -> String {
        "''.join(map(chr, [" + string.unicodeScalars.map { String($0.value) }.joined(separator: ",") + "]))"
    }
}
