import OCI

/// Package URLs (github.com/package-url/purl-spec) for what SBOM and provenance name.
enum PackageURL {
    /// `pkg:oci/NAME@sha256%3AHEX?repository_url=REGISTRY/REPO&tag=TAG` (the purl `oci` type:
    /// NAME is the last path component, the digest is the version, percent-encoded).
    static func image(repository: String?, name fallback: String, digest: Digest, tag: String?, platform: Platform? = nil) -> String {
        let name = (repository ?? fallback).split(separator: "/").last.map(String.init) ?? fallback
        var qualifiers: [(String, String)] = []
        if let platform { qualifiers.append(("arch", platform.architecture)) }
        if let repository { qualifiers.append(("repository_url", repository)) }
        if let tag { qualifiers.append(("tag", tag)) }
        let query = qualifiers.sorted { $0.0 < $1.0 }.map { "\($0.0)=\(encode($0.1))" }.joined(separator: "&")
        return "pkg:oci/\(encode(name.lowercased()))@\(encode(digest.description))" + (query.isEmpty ? "" : "?" + query)
    }

    /// `pkg:generic/NAME?checksum=sha256:HEX&download_url=URL` for a downloaded or local file.
    static func file(name: String, sha256: Digest, url: String?) -> String {
        var qualifiers = [("checksum", sha256.description)]
        if let url { qualifiers.append(("download_url", url)) }
        let query = qualifiers.map { "\($0.0)=\(encode($0.1))" }.joined(separator: "&")
        return "pkg:generic/\(encode(name))?\(query)"
    }

    /// Percent-encodes everything but the unreserved characters and `/` (allowed in values).
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
