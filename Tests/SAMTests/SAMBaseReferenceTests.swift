import Testing
@testable import SAM

struct AcceptedBase: Sendable, CustomTestStringConvertible {
    let input: String
    let runtime: String
    let version: String
    let timestamp: String?
    let mirror: Bool
    var testDescription: String { input }
}

let acceptedBases: [AcceptedBase] = [
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64", runtime: "nodejs18.x", version: "1.143.0", timestamp: "20250502200316", mirror: false),
    .init(input: "public.ecr.aws/sam/build-python3.12:1.143.0-20250822194415-x86_64", runtime: "python3.12", version: "1.143.0", timestamp: "20250822194415", mirror: false),
    .init(input: "public.ecr.aws/sam/build-provided.al2023:1.143.0", runtime: "provided.al2023", version: "1.143.0", timestamp: nil, mirror: false),
    .init(input: "public.ecr.aws/sam/build-java8.al2:1.143.0-x86_64", runtime: "java8.al2", version: "1.143.0", timestamp: nil, mirror: false),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64@sha256:" + String(repeating: "a", count: 64),
          runtime: "nodejs18.x", version: "1.143.0", timestamp: "20250502200316", mirror: false),
    .init(input: "127.0.0.1:5000/sam/build-ruby3.2:1.143.0", runtime: "ruby3.2", version: "1.143.0", timestamp: nil, mirror: true),
    .init(input: "registry.example.com/mirror/build-dotnet8:1.120.0-20240101000000", runtime: "dotnet8", version: "1.120.0", timestamp: "20240101000000", mirror: true),
    // Air-gapped: a layout mirror, and a docker save of the official image read by its saved name.
    .init(input: "oci:/mirror/build-python3.12:1.143.0-20250822194415-x86_64", runtime: "python3.12", version: "1.143.0", timestamp: "20250822194415", mirror: true),
    .init(input: "docker-archive:/media/base.tar:public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64", runtime: "nodejs18.x",
          version: "1.143.0", timestamp: "20250502200316", mirror: true),
]

struct RejectedBase: Sendable, CustomTestStringConvertible {
    let input: String
    /// A fragment the one-line message must contain.
    let reason: String
    var testDescription: String { input }
}

let rejectedBases: [RejectedBase] = [
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-arm64", reason: "arm64 images are not supported"),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:1.143.0-arm64", reason: "arm64 images are not supported"),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:latest", reason: "floating tag \"latest\""),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:latest-x86_64", reason: "floating tag \"latest-x86_64\""),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:1.143", reason: "floating version tag \"1.143\""),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:1", reason: "floating version tag \"1\""),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x", reason: "a full version tag is required"),
    .init(input: "127.0.0.1:5000/sam/build-nodejs18.x", reason: "a full version tag is required"),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x@sha256:" + String(repeating: "a", count: 64), reason: "a full version tag is required"),
    .init(input: "public.ecr.aws/sam/emulation-nodejs18.x:1.143.0", reason: "named build-RUNTIME"),
    .init(input: "docker.io/library/ubuntu:22.04", reason: "named build-RUNTIME"),
    .init(input: "public.ecr.aws/sam/build-:1.143.0", reason: "invalid repository path component"),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:1.143.0-x86_64-extra", reason: "is not of the form X.Y.Z"),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:1.143.0.1", reason: "does not start with a version X.Y.Z"),
    .init(input: "public.ecr.aws/sam/build-nodejs18.x:v1.143.0", reason: "does not start with a version X.Y.Z"),
    .init(input: "public.ecr.aws/SAM/build-nodejs18.x:1.143.0", reason: "must be lowercase"),
    .init(input: "", reason: "empty"),
    .init(input: "docker-archive:/media/base.tar", reason: "a docker archive base needs the name it was saved as"),
    .init(input: "docker-archive:/media/base.tar:public.ecr.aws/sam/build-nodejs18.x", reason: "a full version tag is required"),
    .init(input: "docker-archive:/media/base.tar:public.ecr.aws/sam/build-nodejs18.x:latest", reason: "floating tag"),
    .init(input: "scratch", reason: "read from a registry, an oci: layout or a docker archive"),
]

@Suite("SAM base reference grammar")
struct SAMBaseReferenceTests {
    @Test(arguments: acceptedBases)
    func accepts(_ case_: AcceptedBase) throws {
        let base = try SAMBaseReference(parsing: case_.input)
        #expect(base.runtime == case_.runtime)
        #expect(base.samVersion == case_.version)
        #expect(base.buildTimestamp == case_.timestamp)
        #expect(base.isMirror == case_.mirror)
    }

    @Test(arguments: rejectedBases)
    func rejects(_ case_: RejectedBase) {
        do {
            _ = try SAMBaseReference(parsing: case_.input)
            Issue.record("accepted \(case_.input)")
        } catch {
            #expect(error.description.hasPrefix("invalid SAM base image \"\(case_.input)\""))
            #expect(error.description.contains(case_.reason), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }
}
