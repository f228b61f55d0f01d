import OCI
import Testing
@testable import Registry

/// The Referrers API path, on answers recorded from registries that have it (distribution 2.8,
/// which the tests run against, has not: its 404 is the tag schema's cue).
@Suite struct ReferrersResponseTests {
    /// As zot and registry 3.0 answer `GET /v2/NAME/referrers/DIGEST`.
    static let listed = """
    {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
     {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(String(repeating: "a", count: 64))","size":713,
      "artifactType":"application/spdx+json","annotations":{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}},
     {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\(String(repeating: "b", count: 64))","size":735,
      "artifactType":"application/vnd.in-toto+json"}]}
    """

    @Test func anIndexAnswerListsTheReferrers() throws {
        let descriptors = try #require(ReferrersResponse.descriptors(status: 200, contentType: "application/vnd.oci.image.index.v1+json",
                                                                     body: Array(Self.listed.utf8)))
        #expect(descriptors.map(\.artifactType) == ["application/spdx+json", "application/vnd.in-toto+json"])
        #expect(descriptors[0].annotations?["org.opencontainers.image.created"] == "2024-01-01T00:00:00Z")
    }

    @Test func anEmptyIndexMeansTheAPIIsThereWithNoReferrers() throws {
        let empty = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#
        #expect(ReferrersResponse.descriptors(status: 200, contentType: "application/vnd.oci.image.index.v1+json", body: Array(empty.utf8)) == [])
    }

    @Test(arguments: [
        (404, "application/json", #"{"errors":[{"code":"NOT_FOUND"}]}"#),
        (200, "text/html", "<html>registry</html>"),
        (200, "application/vnd.oci.image.index.v1+json", "not json"),
        (200, "application/json", #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#),
    ])
    func anythingElseMeansNoAPI(_ status: Int, _ type: String, _ body: String) {
        #expect(ReferrersResponse.descriptors(status: status, contentType: type, body: Array(body.utf8)) == nil)
    }
}
