import Foundation
import Testing
import TestSupport
import Yams
@testable import Pipelines

struct JobCase: Sendable, CustomTestStringConvertible {
    let name: String
    let options: KubernetesJob.Options
    let matrix: BuildMatrix
    var testDescription: String { name }

    static var given: KubernetesJob.Options {
        var options = KubernetesJob.Options()
        options.version = "1.1.2"
        options.pluginImage = "harness/aws-sam-plugin:1.1.2-beta-base-image"
        options.targetRepo = "registry.example.com/team/aws-sam-plugin"
        return options
    }

    static var all: [JobCase] {
        var tuned = given
        tuned.name = "sam-1-1-2"
        tuned.namespace = "builds"
        tuned.image = "registry.example.com/tools/samforge@sha256:" + String(repeating: "cd", count: 32)
        tuned.uid = 10001
        tuned.parallelism = 16
        tuned.backoffLimitPerIndex = 0
        tuned.dockerConfigSecret = "release.registry-credentials"
        tuned.timestampTag = true
        tuned.signKeySecret = "cosign-key"
        var onlyEntries = KubernetesJob.Options()
        onlyEntries.name = "entries"
        let bases = (0..<12).map { "public.ecr.aws/sam/build-runtime\($0):1.143.0" }
        return [
            .init(name: "one base", options: given, matrix: try! BuildMatrix(bases: [node])),
            .init(name: "overriding entries", options: given, matrix: PipelineCase.overriding),
            .init(name: "every option", options: tuned, matrix: PipelineCase.overriding),
            .init(name: "twelve bases", options: given, matrix: try! BuildMatrix(bases: bases)),
            .init(name: "everything from the entries", options: onlyEntries, matrix: try! BuildMatrix(entries: [
                .init(samBaseImage: node, version: "2.0.0", targetRepo: "r.example/a", pluginImage: "r.example/p:1"),
            ])),
        ]
    }
}

@Suite("samforge pipeline k8s-job: the generated Job")
struct KubernetesJobTests {
    static func documents() throws -> [(name: String, text: String)] {
        try JobCase.all.map { ($0.name.replacingOccurrences(of: " ", with: "-"), try KubernetesJob(options: $0.options, matrix: $0.matrix).yaml) }
    }

    /// Kubernetes' own OpenAPI schemas (kubernetes-validate), rejecting unknown fields: 1.33,
    /// the first release with backoffLimitPerIndex generally available, and the newest shipped.
    @Test(arguments: ["1.33.0", "1.37.0"])
    func passesKubernetesValidateStrict(_ version: String) throws {
        let result = try Validators.kubernetesValidate(try Validators.files(Self.documents()), version: version)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        // Two resources per file: the ConfigMap and the Job.
        #expect(result.stdout.components(separatedBy: " passed for resource ").count - 1 == 2 * JobCase.all.count, "\(result.stdout)")
    }

    @Test func passesYamllintStrict() throws {
        let result = try Validators.yamllint(try Validators.files(Self.documents()))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    static func resources(_ job: KubernetesJob) throws -> (configMap: Node, job: Node) {
        let documents = Array(try Yams.compose_all(yaml: job.yaml))
        try #require(documents.count == 2)
        return (documents[0], documents[1])
    }

    @Test(arguments: JobCase.all)
    func isAnIndexedJobOverTheMatrix(_ case_: JobCase) throws {
        let job = try KubernetesJob(options: case_.options, matrix: case_.matrix)
        let (configMap, resource) = try Self.resources(job)
        let spec = try #require(resource["spec"])
        #expect(resource["kind"]?.string == "Job" && resource["apiVersion"]?.string == "batch/v1")
        #expect(spec["completionMode"]?.string == "Indexed")
        #expect(spec["completions"]?.int == case_.matrix.entries.count)
        #expect(spec["parallelism"]?.int == min(case_.options.parallelism ?? 4, case_.matrix.entries.count))
        #expect(spec["parallelism"]?.int ?? 0 <= spec["completions"]?.int ?? 0)
        #expect(spec["backoffLimitPerIndex"]?.int == case_.options.backoffLimitPerIndex)
        #expect(spec["backoffLimit"] == nil)  // with backoffLimitPerIndex, Kubernetes counts per index
        #expect(spec["template"]?["spec"]?["restartPolicy"]?.string == "Never")  // required by backoffLimitPerIndex
        let failIndex = spec["podFailurePolicy"]?["rules"]?[0]
        #expect(failIndex?["action"]?.string == "FailIndex")
        #expect(failIndex?["onExitCodes"]?["values"]?[0]?.int == 2)
        #expect(resource["metadata"]?["namespace"]?.string == case_.options.namespace)
        #expect(configMap["metadata"]?["namespace"]?.string == case_.options.namespace)

        // The ConfigMap holds the matrix; the pod mounts it where the command reads it.
        #expect(configMap["kind"]?.string == "ConfigMap")
        let matrixText = try #require(configMap["data"]?["matrix.yaml"]?.string)
        #expect(matrixText == job.matrixFile)
        #expect(try BuildMatrix.parse(matrixText) == case_.matrix)
        let pod = try #require(spec["template"]?["spec"])
        let container = try #require(pod["containers"]?[0])
        let command = try #require(container["command"]?.sequence).compactMap(\.string)
        #expect(command == job.command())
        #expect(Array(command.prefix(4)) == ["/usr/local/bin/samforge", "build", "--matrix", "/config/matrix.yaml"])
        #expect(command.contains("--timestamp-tag") == case_.options.timestampTag)
        let volumes = try #require(pod["volumes"]?.sequence)
        func volume(mountedAt path: String) -> Node? {
            let name = container["volumeMounts"]?.sequence?.first { $0["mountPath"]?.string == path }?["name"]?.string
            return volumes.first { $0["name"]?.string == name }
        }
        #expect(volume(mountedAt: "/config")?["configMap"]?["name"]?.string == configMap["metadata"]?["name"]?.string)
        // docker's config.json from the dockerconfigjson Secret, where DOCKER_CONFIG points.
        let env = Dictionary(uniqueKeysWithValues: (container["env"]?.sequence ?? []).compactMap { e in
            e["name"]?.string.map { ($0, e["value"]?.string ?? "") }
        })
        let secret = volume(mountedAt: env["DOCKER_CONFIG"] ?? "")?["secret"]
        #expect(secret?["secretName"]?.string == case_.options.dockerConfigSecret)
        #expect(secret?["items"]?[0]?["key"]?.string == ".dockerconfigjson")
        #expect(secret?["items"]?[0]?["path"]?.string == "config.json")
        #expect(env["JOB_COMPLETION_INDEX"] == nil)  // Kubernetes sets it in each pod
    }

    /// What the pod may write: the read-only root filesystem leaves only emptyDirs, at samforge's
    /// cache and at /tmp (HOME).
    @Test(arguments: JobCase.all)
    func podIsRestrictedAndWritesOnlyToEmptyDirs(_ case_: JobCase) throws {
        let job = try KubernetesJob(options: case_.options, matrix: case_.matrix)
        let pod = try #require(try Self.resources(job).job["spec"]?["template"]?["spec"])
        #expect(PodSecurityRestricted.violations(pod: pod) == [])
        let container = try #require(pod["containers"]?[0])
        #expect(container["securityContext"]?["readOnlyRootFilesystem"]?.bool == true)
        #expect(pod["securityContext"]?["runAsUser"]?.int == case_.options.uid)
        #expect(pod["automountServiceAccountToken"]?.bool == false)
        let writable = (container["volumeMounts"]?.sequence ?? []).filter { $0["readOnly"]?.bool != true }
        let emptyDirs = Set((pod["volumes"]?.sequence ?? []).filter { $0["emptyDir"] != nil }.compactMap { $0["name"]?.string })
        #expect(Set(writable.compactMap { $0["mountPath"]?.string }) == ["/cache", "/tmp"])
        #expect(writable.allSatisfy { emptyDirs.contains($0["name"]?.string ?? "") })
        let command = job.command()
        #expect(command[command.index(after: try #require(command.firstIndex(of: "--cache-dir")))] == "/cache")
    }

    /// The checker refuses each kind of pod "restricted" refuses (it is no rubber stamp).
    @Test(arguments: [
        ("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"),
        ("              drop:\n                - ALL\n", "              drop:\n                - NET_RAW\n"),
        ("              drop:\n", "              add:\n                - SYS_ADMIN\n              drop:\n"),
        ("          type: RuntimeDefault", "          type: Unconfined"),
        ("            runAsNonRoot: true\n            runAsUser", "            runAsNonRoot: false\n            runAsUser"),
        // Pod-level runAsNonRoot and seccomp cover a container that leaves them unset.
        ("            runAsNonRoot: true\n            runAsUser: 65532\n", "            runAsUser: 65532\n"
            + "            seccompProfile:\n              type: Unconfined\n"),
        ("        - name: cache\n          emptyDir: {}", "        - name: cache\n          hostPath:\n            path: /var/lib/docker"),
        ("      enableServiceLinks: false", "      enableServiceLinks: false\n      hostNetwork: true"),
        ("            readOnlyRootFilesystem: true", "            readOnlyRootFilesystem: true\n            privileged: true"),
        ("            runAsUser: 65532", "            runAsUser: 0"),
    ])
    func restrictedCheckerRefusesEachViolation(_ edit: (String, String)) throws {
        let job = try KubernetesJob(options: JobCase.given, matrix: try BuildMatrix(bases: [node]))
        let text = try #require(job.yaml.components(separatedBy: "---\n").last)
        try #require(text.contains(edit.0), "\(edit.0) not in the Job")
        let broken = try #require(try Yams.compose(yaml: text.replacingOccurrences(of: edit.0, with: edit.1)))
        #expect(!PodSecurityRestricted.violations(pod: try #require(broken["spec"]?["template"]?["spec"])).isEmpty, "\(edit.1)")
    }

    @Test func commandAndEnvironmentFollowThePaths() throws {
        let job = try KubernetesJob(options: JobCase.given, matrix: try BuildMatrix(bases: [node, python]))
        let local = KubernetesJob.Paths(binary: "/build/samforge", matrixFile: "/w/m.yaml", cacheDirectory: "/w/cache",
                                        dockerConfigDirectory: "/w/docker", temporaryDirectory: "/w/tmp")
        #expect(job.command(paths: local) == ["/build/samforge", "build", "--matrix", "/w/m.yaml", "--cache-dir", "/w/cache",
                                              "--version", "1.1.2", "--plugin-image", "harness/aws-sam-plugin:1.1.2-beta-base-image",
                                              "--target-repo", "registry.example.com/team/aws-sam-plugin"])
        #expect(job.environment(paths: local).map { "\($0.name)=\($0.value)" } == ["DOCKER_CONFIG=/w/docker", "HOME=/w/tmp"])
        #expect(job.parallelism == 2)
    }

    @Test func refusesWhatThePodsCouldNotRun() throws {
        let matrix = try BuildMatrix(bases: [node])
        func refusal(_ change: (inout KubernetesJob.Options) -> Void, matrix: BuildMatrix = try! BuildMatrix(bases: [node])) -> String {
            var options = JobCase.given
            change(&options)
            do { _ = try KubernetesJob(options: options, matrix: matrix); return "" } catch { return error.message }
        }
        #expect(refusal({ $0.name = "Sam" }).hasPrefix("--name \"Sam\""))
        #expect(refusal({ $0.name = String(repeating: "a", count: 53) }).hasPrefix("--name"))
        #expect(refusal({ $0.namespace = "a_b" }).hasPrefix("--namespace \"a_b\""))
        #expect(refusal({ $0.dockerConfigSecret = "Creds" }).hasPrefix("--docker-config-secret"))
        #expect(refusal({ $0.uid = 0 }).hasPrefix("--uid 0"))
        #expect(refusal({ $0.parallelism = 0 }).hasPrefix("--parallelism 0"))
        #expect(refusal({ $0.backoffLimitPerIndex = -1 }).hasPrefix("--backoff-limit-per-index"))
        #expect(refusal({ $0.version = nil }) == "entry 0 has no --version: give it on the command line or in the matrix file")
        #expect(refusal({ $0.version = nil; $0.targetRepo = nil }, matrix: try BuildMatrix(entries: [
            .init(samBaseImage: node, version: "1.0.0", targetRepo: "r.example/x"), .init(samBaseImage: python),
        ])) == "entry 1 has no --version, --target-repo: give them on the command line or in the matrix file")
        _ = try KubernetesJob(options: JobCase.given, matrix: matrix)
    }
}
