import Foundation

/// A tar member as python's tarfile sees it: an independent reader of our layers.
struct TarMember: Decodable, Equatable {
    let name: String
    let type: String  // tarfile type flag: "0" file, "1" hard link, "2" symlink, "5" directory
    let mode: UInt32
    let uid: Int
    let gid: Int
    let uname: String
    let gname: String
    let mtime: Int64
    let size: Int64
    let linkname: String
    let paxKeys: [String]
}

enum TarListing {
    private static let script = """
    import json, sys, tarfile
    with tarfile.open(sys.argv[1], 'r:*') as tar:
        print(json.dumps([dict(name=m.name, type=m.type.decode(), mode=m.mode, uid=m.uid, gid=m.gid,
            uname=m.uname, gname=m.gname, mtime=int(m.mtime), size=m.size, linkname=m.linkname,
            paxKeys=sorted(m.pax_headers.keys())) for m in tar.getmembers()]))
    """

    /// Lists a (possibly compressed) tar with python's tarfile.
    static func members(of path: String) throws -> [TarMember] {
        try JSONDecoder().decode([TarMember].self, from: Data(try Tool.python(script, [path]).utf8))
    }
}
