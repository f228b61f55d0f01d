import Foundation

/// Asks a registry of the test world directly (curl, not samforge) what it holds.
public enum RegistryProbe {
    /// Every manifest media type: distribution answers 404 to a HEAD that does not accept the
    /// manifest's own type (an OCI index, say).
    static let accept = ["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                         "application/vnd.docker.distribution.manifest.list.v2+json",
                         "application/vnd.docker.distribution.manifest.v2+json"].joined(separator: ", ")

    /// The status of `HEAD /v2/REPOSITORY/manifests/REFERENCE` at `host` (plain HTTP, no auth):
    /// 200 when the tag or digest is there, 404 when not.
    public static func manifestStatus(_ repository: String, _ reference: String, host: String = TestWorld.plain) throws -> Int {
        let result = try Command.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-I", "-w", "%{http_code}", "-H", "Accept: \(accept)",
                                                       "http://\(host)/v2/\(repository)/manifests/\(reference)"])
        return Int(result.stdout) ?? 0
    }
}
