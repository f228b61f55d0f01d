import Foundation
import Testing
import TestSupport
@testable import Pipelines

/// The Indexed Job, run here: each pod's exact command once per index, as the Job's non-root
/// uid, with the pod's environment and JOB_COMPLETION_INDEX, against the test registries.
/// Every entry's image must land, and each pod builds its entry only.
@Suite("The Kubernetes Job, simulated", .enabled(if: TestWorld.available))
struct JobSimulationTests {
    static let bases = ["sam/build-nodejs18.x:1.143.0-20250502200316-x86_64", "sam/build-python3.12:1.143.0-20250822194415-x86_64"]

    @Test func everyIndexBuildsItsEntryAsTheNonRootUser() throws {
        let plain = TestWorld.plain
        let repository = "\(plain)/\(TestWorld.uniqueRepository("job"))"
        var options = KubernetesJob.Options()
        options.version = "1.1.2"
        options.pluginImage = "\(plain)/harness/aws-sam-plugin:1.1.2-beta-base-image"
        options.targetRepo = repository
        options.goTemplate = TestWorld.goTemplateURL
        options.dockerCLIImage = "\(plain)/library/docker:26.0.1-cli"
        let job = try KubernetesJob(options: options, matrix: try BuildMatrix(bases: Self.bases.map { "\(plain)/\($0)" }))
        #expect(job.yaml.contains("completions: \(Self.bases.count)"))

        // The pod's volumes, here: the ConfigMap's file, the emptyDirs, the Secret's config.
        let root = try TemporaryDirectory().path
        for directory in ["config", "cache", "tmp", "docker"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        }
        try job.matrixFile.write(toFile: "\(root)/config/matrix.yaml", atomically: true, encoding: .utf8)
        try "{}".write(toFile: "\(root)/docker/config.json", atomically: true, encoding: .utf8)
        _ = try Command.run("/bin/chmod", ["-R", "a+rX", root])
        _ = try Command.run("/bin/chown", ["-R", "\(options.uid):\(options.uid)", "\(root)/cache", "\(root)/tmp"])
        let paths = KubernetesJob.Paths(binary: Command.samforgePath, matrixFile: "\(root)/config/matrix.yaml", cacheDirectory: "\(root)/cache",
                                        dockerConfigDirectory: "\(root)/docker", temporaryDirectory: "\(root)/tmp")

        for index in Self.bases.indices {
            var environment = ["PATH": "/usr/bin:/bin", "JOB_COMPLETION_INDEX": String(index), "SOURCE_DATE_EPOCH": "1700000000"]
            for (name, value) in job.environment(paths: paths) { environment[name] = value }
            let uid = String(options.uid)
            let result = try Command.run("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--"] + job.command(paths: paths),
                                         environment: environment)
            #expect(result.status == 0, "index \(index): \(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 1, "one entry per pod: \(result.stdout)")
            let runtime = Self.bases[index].split(separator: "/")[1].dropFirst("build-".count).split(separator: ":")[0]
            #expect(lines.first?.hasPrefix("\(repository):1.1.2-\(runtime)-1.143.0-linux-amd64@sha256:") == true, "\(result.stdout)")
        }
        // Both images landed, each under its own tag.
        let tags = try Command.run("skopeo", ["list-tags", "--tls-verify=false", "docker://" + repository])
        #expect(tags.stdout.contains("1.1.2-nodejs18.x-1.143.0-linux-amd64") && tags.stdout.contains("1.1.2-python3.12-1.143.0-linux-amd64"))
    }
}
