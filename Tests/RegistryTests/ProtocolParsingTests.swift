import Testing
@testable import Registry

@Suite("WWW-Authenticate challenges")
struct ChallengeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let header: String
        let scheme: Challenge.Scheme?
        let parameters: [String: String]
        var testDescription: String { header }
    }

    static let cases: [Case] = [
        Case(header: #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#, scheme: .bearer,
             parameters: ["realm": "https://auth.docker.io/token", "service": "registry.docker.io"]),
        Case(header: #"Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="aws""#, scheme: .bearer,
             parameters: ["realm": "https://public.ecr.aws/token/", "service": "public.ecr.aws", "scope": "aws"]),
        Case(header: #"Bearer realm="https://r/token",scope="repository:a/b:pull,push",error="insufficient_scope""#, scheme: .bearer,
             parameters: ["realm": "https://r/token", "scope": "repository:a/b:pull,push", "error": "insufficient_scope"]),
        Case(header: #"Basic realm="basic-realm""#, scheme: .basic, parameters: ["realm": "basic-realm"]),
        Case(header: "basic realm=Registry", scheme: .basic, parameters: ["realm": "Registry"]),
        Case(header: #"BEARER Realm="x", Service="y""#, scheme: .bearer, parameters: ["realm": "x", "service": "y"]),
        Case(header: #"Bearer realm="a\"b",service="s""#, scheme: .bearer, parameters: ["realm": "a\"b", "service": "s"]),
        Case(header: #"Negotiate, Basic realm="r""#, scheme: .basic, parameters: ["realm": "r"]),
        Case(header: "Negotiate", scheme: nil, parameters: [:]),
        Case(header: "", scheme: nil, parameters: [:]),
    ]

    @Test(arguments: cases)
    func parses(_ testCase: Case) {
        let challenge = Challenge.parse(testCase.header)
        #expect(challenge?.scheme == testCase.scheme)
        if testCase.scheme != nil { #expect(challenge?.parameters == testCase.parameters) }
    }

    @Test func scopeStrings() {
        #expect(Scope.pull("sam/build-nodejs18.x").description == "repository:sam/build-nodejs18.x:pull")
        #expect(Scope.push("a/b").description == "repository:a/b:pull,push")
    }
}

@Suite("Plain HTTP policy and URL handling")
struct URLHandlingTests {
    @Test(arguments: [
        ("localhost", true), ("localhost:5000", true), ("127.0.0.1", true), ("127.0.0.1:5000", true),
        ("127.1.2.3:80", true), ("[::1]:5000", true), ("[::1]", true),
        ("localhost.example.com", false), ("127.0.0.1.nip.io", false), ("128.0.0.1", false),
        ("10.0.0.1:5000", false), ("registry.local", false), ("[::2]:5000", false), ("127.0.0.256", false),
    ])
    func loopback(_ host: String, _ expected: Bool) {
        #expect(isLoopbackHost(host) == expected)
    }

    @Test func insecureHostsMatchWithOrWithoutPort() {
        let options = RegistryOptions(insecureHosts: ["registry.internal", "mirror:5000"])
        #expect(options.isInsecure("registry.internal:443"))
        #expect(options.isInsecure("registry.internal"))
        #expect(options.isInsecure("mirror:5000"))
        #expect(!options.isInsecure("mirror:6000"))
        #expect(!options.isInsecure("other"))
    }

    @Test(arguments: [
        ("/v2/a/blobs/uploads/uuid?_state=xyz", "https://r:5000/v2/a/blobs/uploads/", "https://r:5000/v2/a/blobs/uploads/uuid?_state=xyz"),
        ("https://s3.example.com/bucket/x?sig=1", "https://r/v2/a/blobs/sha256:1", "https://s3.example.com/bucket/x?sig=1"),
        ("uuid2", "http://r/v2/a/blobs/uploads/uuid1", "http://r/v2/a/blobs/uploads/uuid2"),
    ])
    func resolvesLocation(_ location: String, _ base: String, _ expected: String) {
        #expect(resolveURL(location, against: base) == expected)
    }

    @Test("credentials follow a URL only to the same host and never down to plain HTTP", arguments: [
        ("https://r.example.com/v2/a/blobs/uploads/", "https://r.example.com/v2/a/blobs/uploads/u?_state=s", true),
        ("https://r.example.com", "https://R.EXAMPLE.COM/v2/x", true),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000/v2/x", true),
        ("http://127.0.0.1:5000", "https://127.0.0.1:5000/v2/x", true),  // a step up is fine
        ("https://r.example.com", "http://r.example.com/v2/a/blobs/uploads/u", false),
        ("https://r.example.com", "https://storage.example.com/v2/a", false),
        ("https://r.example.com:5000", "https://r.example.com/v2/a", false),
        ("https://r.example.com", "https://evil.example.com@r.example.org/x", false),
        ("https://r.example.com", "https://r.example.com:443/v2/a", true),
        ("http://127.0.0.1:80", "http://127.0.0.1/v2/a", true),
        ("https://r.example.com", "http://r.example.com:443/v2/a", false),
    ])
    func keepsCredentialsOnlyOnTheEndpoint(_ origin: String, _ target: String, _ keeps: Bool) {
        #expect(keepsCredentials(from: origin, to: target) == keeps)
    }

    @Test("a Location is relative to the request that got it", arguments: [
        ("7a1c?_state=x", "https://r/v2/app/blobs/uploads/", "https://r/v2/app/blobs/uploads/7a1c?_state=x"),
        ("/v2/app/blobs/uploads/7a1c", "https://r/v2/app/blobs/uploads/", "https://r/v2/app/blobs/uploads/7a1c"),
        ("https://other/u", "https://r/v2/app/blobs/uploads/", "https://other/u"),
    ])
    func locationResolvesAgainstItsRequest(_ header: String, _ requestURL: String, _ expected: String) {
        let response = HTTPResponse(status: 202, headers: ["location": [header]], errorBody: [], url: requestURL)
        #expect(response.location == expected)
    }

    @Test func appendsDigestKeepingUploadState() {
        #expect(appendQuery("https://r/v2/a/blobs/uploads/u?_state=s", "digest=sha256:1") == "https://r/v2/a/blobs/uploads/u?_state=s&digest=sha256:1")
        #expect(appendQuery("/v2/a/blobs/uploads/u", "digest=sha256:1") == "/v2/a/blobs/uploads/u?digest=sha256:1")
    }

    @Test func followsLinkPagination() {
        #expect(nextLink(#"</v2/a/tags/list?n=2&last=b>; rel="next""#) == "/v2/a/tags/list?n=2&last=b")
        #expect(nextLink(#"<https://r/v2/a/tags/list?last=c>; rel="prev", </next>; rel="next""#) == "/next")
        #expect(nextLink(#"</x>; rel="prev""#) == nil)
    }

    @Test func hostOfURL() {
        #expect(hostOf("https://user@r.example.com:5000/v2/?x") == "r.example.com:5000")
        #expect(hostOf("http://127.0.0.1:9/token") == "127.0.0.1:9")
    }

    @Test func redactsQueryStrings() {
        #expect(redactedURL("https://s3/x?X-Amz-Signature=secret") == "https://s3/x?…")
        #expect(!redactedURL("https://s3/x?X-Amz-Signature=secret").contains("secret"))
        #expect(redactedURL("https://user:pw@host:8443/path/file?sig=1#frag") == "https://host:8443/path/file?…")
        #expect(redactedURL("http://host/a@b") == "http://host/a@b")  // an @ in the path is not userinfo
        #expect(redactedURL("https://host/plain") == "https://host/plain")
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test(arguments: [408, 429, 500, 502, 503, 504])
    func retriesTransientStatuses(_ status: Int) { #expect(RetryPolicy.isRetryable(status: status)) }

    @Test(arguments: [200, 201, 400, 401, 403, 404, 405, 501])
    func doesNotRetryOthers(_ status: Int) { #expect(!RetryPolicy.isRetryable(status: status)) }

    @Test func honoursRetryAfterSecondsAndDates() {
        let policy = RetryPolicy()
        #expect(policy.delay(afterAttempt: 1, retryAfter: "3") == 3)
        #expect(policy.delay(afterAttempt: 1, retryAfter: "600") == 60)  // capped
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == 0)  // in the past
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
    }

    @Test func backoffGrowsAndIsBounded() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 1, maxDelay: 4)
        for attempt in 1...10 {
            let delay = policy.delay(afterAttempt: attempt, retryAfter: nil)
            let ceiling = min(4, pow(2, Double(attempt - 1)))
            #expect(delay >= ceiling * 0.5 && delay <= ceiling)
        }
    }
}

import Foundation
