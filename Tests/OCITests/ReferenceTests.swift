import Foundation
import Testing
@testable import OCI

private let hexEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
private let hexABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

struct ValidReferenceCase: CustomTestStringConvertible, Sendable {
    let input: String
    let registry: String
    let repository: String
    let tag: String?
    let digest: String?
    let host: String
    var testDescription: String { input.count > 60 ? String(input.prefix(57)) + "..." : input }

    init(_ input: String, _ registry: String, _ repository: String, tag: String? = "latest", digest: String? = nil, host: String? = nil) {
        self.input = input
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.host = host ?? (registry == "docker.io" ? "registry-1.docker.io" : registry)
    }
}

private let longTag = String(repeating: "t", count: 128)

let validReferences: [ValidReferenceCase] = [
    // Docker Hub normalization
    .init("ubuntu", "docker.io", "library/ubuntu"),
    .init("ubuntu:22.04", "docker.io", "library/ubuntu", tag: "22.04"),
    .init("user/app:1.0", "docker.io", "user/app", tag: "1.0"),
    .init("user/app", "docker.io", "user/app"),
    .init("docker.io/ubuntu", "docker.io", "library/ubuntu"),
    .init("docker.io/library/ubuntu:latest", "docker.io", "library/ubuntu"),
    .init("index.docker.io/ubuntu", "docker.io", "library/ubuntu"),
    .init("index.docker.io/user/app:2", "docker.io", "user/app", tag: "2"),
    .init("docker:26.0.1-cli", "docker.io", "library/docker", tag: "26.0.1-cli"),
    .init("x", "docker.io", "library/x"),
    .init("0/1", "docker.io", "0/1"),
    .init("a1b2/c3d4:V1", "docker.io", "a1b2/c3d4", tag: "V1"),
    // A first component without '.', ':' and other than localhost is a path, not a host.
    .init("localhost", "docker.io", "library/localhost"),
    .init("example.com:5000", "docker.io", "library/example.com", tag: "5000"),
    .init("registry/app", "docker.io", "registry/app"),
    // localhost and ports
    .init("localhost/app", "localhost", "app"),
    .init("localhost:5000/a/b:tag", "localhost:5000", "a/b", tag: "tag"),
    .init("localhost:5000/app", "localhost:5000", "app"),
    .init("localhost:1/x", "localhost:1", "x"),
    // IP addresses
    .init("127.0.0.1:5000/x", "127.0.0.1:5000", "x"),
    .init("127.0.0.1/x", "127.0.0.1", "x"),
    .init("1.2.3.4:65535/x", "1.2.3.4:65535", "x"),
    .init("[::1]:5000/x:t", "[::1]:5000", "x", tag: "t"),
    .init("[::1]/x", "[::1]", "x"),
    .init("[2001:db8::1]:443/ns/app:v1", "[2001:db8::1]:443", "ns/app", tag: "v1"),
    // Real registries; dots in repository components are kept
    .init("public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64", "public.ecr.aws", "sam/build-nodejs18.x", tag: "1.143.0-20250502200316-x86_64"),
    .init("public.ecr.aws/sam/build-provided.al2023:latest-x86_64", "public.ecr.aws", "sam/build-provided.al2023", tag: "latest-x86_64"),
    .init("public.ecr.aws/sam/build-java8.al2:1.143.0-20250502200316-arm64", "public.ecr.aws", "sam/build-java8.al2", tag: "1.143.0-20250502200316-arm64"),
    .init("public.ecr.aws/sam/build-python3.12", "public.ecr.aws", "sam/build-python3.12"),
    .init("quay.io/coreos/etcd:v3.5.0", "quay.io", "coreos/etcd", tag: "v3.5.0"),
    .init("gcr.io/distroless/static:nonroot", "gcr.io", "distroless/static", tag: "nonroot"),
    .init("registry.k8s.io/pause:3.9", "registry.k8s.io", "pause", tag: "3.9"),
    .init("my-registry.example.com:8443/team/app:v1.2.3", "my-registry.example.com:8443", "team/app", tag: "v1.2.3"),
    .init("registry.example.com/a/b/c/d", "registry.example.com", "a/b/c/d"),
    .init("Registry.Example.COM/app", "Registry.Example.COM", "app"),
    .init("host-with-dash.io/x", "host-with-dash.io", "x"),
    // Digests
    .init("repo@sha256:\(hexEmpty)", "docker.io", "library/repo", tag: nil, digest: "sha256:\(hexEmpty)"),
    .init("repo:tag@sha256:\(hexABC)", "docker.io", "library/repo", tag: "tag", digest: "sha256:\(hexABC)"),
    .init("ghcr.io/org/app@sha256:\(hexABC)", "ghcr.io", "org/app", tag: nil, digest: "sha256:\(hexABC)"),
    .init("localhost:5000/a/b:1.0@sha256:\(hexEmpty)", "localhost:5000", "a/b", tag: "1.0", digest: "sha256:\(hexEmpty)"),
    // Path component separators
    .init("a__b", "docker.io", "library/a__b"),
    .init("a-----b", "docker.io", "library/a-----b"),
    .init("a.b", "docker.io", "library/a.b"),
    .init("a_b", "docker.io", "library/a_b"),
    .init("a-b/c.d/e__f/g_h/i--j", "docker.io", "a-b/c.d/e__f/g_h/i--j"),
    // Tags
    .init("ubuntu:TAG_with.Dots-1", "docker.io", "library/ubuntu", tag: "TAG_with.Dots-1"),
    .init("ubuntu:_x", "docker.io", "library/ubuntu", tag: "_x"),
    .init("ubuntu:\(longTag)", "docker.io", "library/ubuntu", tag: longTag),
    // Exactly 255 characters of name: docker.io/library/ (18) + 237
    .init(String(repeating: "a", count: 237), "docker.io", "library/" + String(repeating: "a", count: 237)),
]

enum ReferenceErrorKind: String, Sendable {
    case empty, uppercase, invalidName, invalidTag, invalidDigestMalformed, invalidDigestAlgorithm, tooLong
}

struct InvalidReferenceCase: CustomTestStringConvertible, Sendable {
    let input: String
    let kind: ReferenceErrorKind
    init(_ input: String, _ kind: ReferenceErrorKind) { self.input = input; self.kind = kind }
    var testDescription: String { (input.count > 60 ? String(input.prefix(57)) + "..." : input).debugDescription }
}

let invalidReferences: [InvalidReferenceCase] = [
    .init("", .empty),
    .init("Ubuntu", .uppercase),
    .init("user/App", .uppercase),
    .init("UBUNTU:latest", .uppercase),
    .init("example.com/Team/app", .uppercase),
    .init(":tag", .invalidName),
    .init("@sha256:\(hexEmpty)", .invalidName),
    .init("repo:", .invalidTag),
    .init("repo:-bad", .invalidTag),
    .init("repo:.bad", .invalidTag),
    .init("repo:" + String(repeating: "t", count: 129), .invalidTag),
    .init("repo:ta g", .invalidTag),
    .init("repo:tag!", .invalidTag),
    .init("repo:tág", .invalidTag),
    .init("a//b", .invalidName),
    .init("-a", .invalidName),
    .init("a-", .invalidName),
    .init(".a", .invalidName),
    .init("_a", .invalidName),
    .init("a_", .invalidName),
    .init("a..b", .invalidName),
    .init("a___b", .invalidName),
    .init("a._b", .invalidName),
    .init("a-.b", .invalidName),
    .init("repo@sha256:abc", .invalidDigestMalformed),
    .init("repo@sha256:" + hexEmpty.uppercased(), .invalidDigestMalformed),
    .init("repo@sha256:\(hexEmpty)0", .invalidDigestMalformed),
    .init("repo@sha256:", .invalidDigestMalformed),
    .init("repo@", .invalidDigestMalformed),
    .init("repo@\(hexEmpty)", .invalidDigestMalformed),
    .init("repo@md5:d41d8cd98f00b204e9800998ecf8427e", .invalidDigestAlgorithm),
    .init("repo@sha512:\(hexEmpty)\(hexEmpty)", .invalidDigestAlgorithm),
    .init("repo@sha256:\(hexEmpty)@sha256:\(hexEmpty)", .invalidDigestMalformed),
    .init("host:99999/x", .invalidName),
    .init("host:0/x", .invalidName),
    .init("host:/x", .invalidName),
    .init("host:abc/x", .invalidName),
    .init("-host.com/x", .invalidName),
    .init("host-.com/x", .invalidName),
    .init("host..com/x", .invalidName),
    .init("ho_st.com/x", .invalidName),
    .init("[::1/x", .invalidName),
    .init("[::1]x/y", .invalidName),
    .init("[]:5000/x", .invalidName),
    .init("[zz::1]/x", .invalidName),
    .init("[::ffff:1.2.3.4]:5000/x", .invalidName),
    .init("a/", .invalidName),
    .init("example.com/", .invalidName),
    .init("example.com/app/", .invalidName),
    .init("/a", .invalidName),
    .init(" ubuntu", .invalidName),
    .init("ubuntu ", .invalidName),
    .init("ubu ntu", .invalidName),
    .init("ubuntu\n", .invalidName),
    .init("ubuntu:latest\n", .invalidTag),
    .init("ubuntu\t:latest", .invalidName),
    .init("café", .invalidName),
    .init(hexEmpty, .invalidName),
    // docker.io/library/ + 238 = 256 characters
    .init(String(repeating: "a", count: 238), .tooLong),
    .init("example.com/" + String(repeating: "a", count: 244), .tooLong),
]

private func kind(of error: Reference.ParseError) -> ReferenceErrorKind {
    switch error {
    case .empty: return .empty
    case .uppercase: return .uppercase
    case .invalidName: return .invalidName
    case .invalidTag: return .invalidTag
    case .invalidDigest(_, .malformed): return .invalidDigestMalformed
    case .invalidDigest(_, .unsupportedAlgorithm): return .invalidDigestAlgorithm
    case .tooLong: return .tooLong
    }
}

@Suite("Reference")
struct ReferenceTests {
    @Test("parses valid references", arguments: validReferences)
    func parsesValid(_ c: ValidReferenceCase) throws {
        let ref = try Reference(parsing: c.input)
        #expect(ref.registry == c.registry)
        #expect(ref.repository == c.repository)
        #expect(ref.tag == c.tag)
        #expect(ref.digest?.description == c.digest)
        #expect(ref.host == c.host)
        #expect(ref.repositoryName == "\(c.registry)/\(c.repository)")
    }

    @Test("description round-trips", arguments: validReferences)
    func descriptionRoundTrips(_ c: ValidReferenceCase) throws {
        let ref = try Reference(parsing: c.input)
        let again = try Reference(parsing: ref.description)
        #expect(again == ref)
        #expect(again.description == ref.description)
    }

    @Test("fully qualified input prints as given", arguments: [
        "docker.io/library/ubuntu:latest",
        "localhost:5000/a/b:tag",
        "[::1]:5000/x:t",
        "public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64",
        "ghcr.io/org/app@sha256:\(hexABC)",
        "quay.io/a/b:c@sha256:\(hexEmpty)",
    ])
    func canonicalPrintsAsGiven(_ input: String) throws {
        #expect(try Reference(parsing: input).description == input)
    }

    @Test("rejects invalid references with the right error", arguments: invalidReferences)
    func rejectsInvalid(_ c: InvalidReferenceCase) {
        do {
            let ref = try Reference(parsing: c.input)
            Issue.record("expected \(c.kind) for \(c.input.debugDescription), parsed \(ref)")
        } catch {
            #expect(kind(of: error) == c.kind, "\(error)")
            let message = error.description
            #expect(!message.contains("\n") && !message.contains("\r") && !message.contains("\t"), "\(message.debugDescription)")
            if c.input.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }) {
                #expect(message.contains("\"\(c.input)\""), "\(message)")
            } else {
                #expect(message.contains(c.input.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t")), "\(message)")
            }
        }
    }

    @Test func digestErrorsNameTheProblem() {
        do {
            _ = try Reference(parsing: "repo@sha256:abc")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("malformed digest"))
            #expect(error.description.contains("repo@sha256:abc"))
        }
    }

    @Test func identifierPrefersDigest() throws {
        let both = try Reference(parsing: "repo:1.0@sha256:\(hexABC)")
        #expect(both.identifier == "sha256:\(hexABC)")
        #expect(try Reference(parsing: "repo:1.0").identifier == "1.0")
        #expect(try Reference(parsing: "repo").identifier == "latest")
        #expect(Reference(registry: "r.io", repository: "a").identifier == "latest")
    }

    @Test func withTagAndDigest() throws {
        let pinned = try Reference(parsing: "r.io/a:1@sha256:\(hexABC)")
        let retagged = pinned.withTag("2")
        #expect(retagged.description == "r.io/a:2")
        #expect(retagged.digest == nil)
        let digest = try Digest("sha256:\(hexEmpty)")
        let repinned = try Reference(parsing: "r.io/a:1").withDigest(digest)
        #expect(repinned.description == "r.io/a:1@sha256:\(hexEmpty)")
        #expect(repinned.identifier == digest.description)
    }

    @Test func hostMapsOnlyDockerHub() throws {
        #expect(try Reference(parsing: "ubuntu").host == "registry-1.docker.io")
        #expect(try Reference(parsing: "registry-1.docker.io/library/ubuntu").host == "registry-1.docker.io")
        #expect(try Reference(parsing: "registry-1.docker.io/library/ubuntu").registry == "registry-1.docker.io")
        #expect(try Reference(parsing: "public.ecr.aws/sam/x").host == "public.ecr.aws")
    }

    @Test func referencesAreHashable() throws {
        let a = try Reference(parsing: "ubuntu")
        let b = try Reference(parsing: "docker.io/library/ubuntu:latest")
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
    }

    @Test func emptyErrorIsOneLine() {
        #expect(Reference.ParseError.empty.description == "invalid reference \"\": empty")
    }
}

/// Cross-checks the hand-written grammar against the docker/distribution regular expressions
/// over every short string of a small alphabet.
@Suite("Reference grammar vs docker/distribution regexps")
struct ReferenceGrammarTests {
    static func strings(over alphabet: [Character], upTo length: Int) -> [String] {
        var all: [String] = [""]
        var level: [String] = [""]
        for _ in 0..<length {
            level = level.flatMap { prefix in alphabet.map { prefix + String($0) } }
            all += level
        }
        return all
    }

    @Test func pathComponentMatchesRegexp() throws {
        // path-component := [a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*
        let regex = try Regex("[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*")
        var mismatches: [String] = []
        for s in Self.strings(over: ["a", "0", ".", "_", "-", "A", " "], upTo: 5) {
            let expected = s.wholeMatch(of: regex) != nil
            if Reference.isValidPathComponent(Substring(s)) != expected { mismatches.append(s) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    @Test func tagMatchesRegexp() throws {
        // tag := [\w][\w.-]{0,127} with \w ASCII as in Go's RE2
        let regex = try Regex("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
        var mismatches: [String] = []
        for s in Self.strings(over: ["a", "Z", "0", "_", ".", "-", "+", "é"], upTo: 4) {
            if Reference.isValidTag(s) != (s.wholeMatch(of: regex) != nil) { mismatches.append(s) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
        #expect(Reference.isValidTag(String(repeating: "a", count: 128)))
        #expect(!Reference.isValidTag(String(repeating: "a", count: 129)))
    }

    @Test func hostMatchesRegexp() throws {
        // domain-component := [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
        // domain := domain-component(\.domain-component)*(:[0-9]+)?, port 1...65535 on top (docker takes any digits)
        let regex = try Regex("(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::0*[1-9][0-9]{0,3})?")
        var mismatches: [String] = []
        for s in Self.strings(over: ["a", "Z", "0", "-", ".", ":", "1", "_"], upTo: 5) {
            if Reference.isValidHost(Substring(s)) != (s.wholeMatch(of: regex) != nil) { mismatches.append(s) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    @Test func ipv6HostMatchesRegexp() throws {
        // ipv6address := \[(?:[a-fA-F0-9:]+)\]  then optional :port
        let regex = try Regex("\\[[a-fA-F0-9:]+\\](?::0*[1-9][0-9]{0,3})?")
        var mismatches: [String] = []
        for body in Self.strings(over: ["a", "F", ":", ".", "g", "1"], upTo: 4) {
            for s in ["[\(body)]", "[\(body)]:5", "[\(body)]:", "[\(body)", "[\(body)]x"] {
                if Reference.isValidHost(Substring(s)) != (s.wholeMatch(of: regex) != nil) { mismatches.append(s) }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }

    @Test("ports", arguments: [
        ("1", true), ("80", true), ("5000", true), ("65535", true), ("065535", false),
        ("0", false), ("65536", false), ("99999", false), ("", false), ("-1", false), ("+80", false), ("8a", false), ("٣", false),
    ])
    func ports(_ port: String, _ valid: Bool) {
        #expect(Reference.isValidPort(Substring(port)) == valid)
    }
}
