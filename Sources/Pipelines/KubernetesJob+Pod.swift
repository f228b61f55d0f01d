extension KubernetesJob {
    var job: YAMLValue {
        .map([
            ("apiVersion", .string("batch/v1")),
            ("kind", .string("Job")),
            ("metadata", metadata(options.name)),
            ("spec", .map([
                ("completionMode", .string("Indexed")),
                ("completions", .int(matrix.entries.count)),
                ("parallelism", .int(parallelism)),
                ("backoffLimitPerIndex", .int(options.backoffLimitPerIndex)),
                ("podFailurePolicy", .map([("rules", .list([
                    // Bad input fails the same way every time: no retry.
                    .map([("action", .string("FailIndex")), ("onExitCodes", .map([
                        ("containerName", .string(Self.containerName)),
                        ("operator", .string("In")),
                        ("values", .list([.int(Self.usageExitCode)])),
                    ]))]),
                    // An evicted or preempted pod is not the build's failure.
                    .map([("action", .string("Ignore")), ("onPodConditions", .list([.map([("type", .string("DisruptionTarget")), ("status", .string("True"))])]))]),
                ]))])),
                ("template", .map([
                    ("metadata", .map([("labels", labels)])),
                    ("spec", podSpec),
                ])),
            ])),
        ])
    }

    var podSpec: YAMLValue {
        let paths = Paths.pod
        return .map([
            ("restartPolicy", .string("Never")),
            ("automountServiceAccountToken", .bool(false)),
            ("enableServiceLinks", .bool(false)),
            ("securityContext", .map([
                ("runAsNonRoot", .bool(true)),
                ("runAsUser", .int(options.uid)),
                ("runAsGroup", .int(options.uid)),
                ("seccompProfile", .map([("type", .string("RuntimeDefault"))])),
            ])),
            ("containers", .list([.map([
                ("name", .string(Self.containerName)),
                ("image", .string(options.image)),
                ("command", .list(command().map(YAMLValue.string))),
                ("env", .list(environment().map { .map([("name", .string($0.name)), ("value", .string($0.value))]) }
                              + secretEnvironment.map { variable in
                                  .map([("name", .string(variable.name)), ("valueFrom", .map([("secretKeyRef", .map([
                                      ("name", .string(options.signKeySecret ?? "")), ("key", .string(variable.key)), ("optional", .bool(variable.optional)),
                                  ]))]))])
                              })),
                ("resources", .map([
                    ("requests", .map([("cpu", .string("250m")), ("memory", .string("256Mi"))])),
                    ("limits", .map([("memory", .string("1Gi"))])),
                ])),
                ("securityContext", .map([
                    ("allowPrivilegeEscalation", .bool(false)),
                    ("capabilities", .map([("drop", .list([.string("ALL")]))])),
                    ("readOnlyRootFilesystem", .bool(true)),
                    ("runAsNonRoot", .bool(true)),
                    ("runAsUser", .int(options.uid)),
                ])),
                ("volumeMounts", .list([
                    mount("matrix", parent(paths.matrixFile), readOnly: true),
                    mount("docker-config", paths.dockerConfigDirectory, readOnly: true),
                    mount("cache", paths.cacheDirectory, readOnly: false),
                    mount("tmp", paths.temporaryDirectory, readOnly: false),
                ])),
            ])])),
            ("volumes", .list([
                .map([("name", .string("matrix")), ("configMap", .map([("name", .string(configMapName))]))]),
                .map([("name", .string("docker-config")), ("secret", .map([
                    ("secretName", .string(options.dockerConfigSecret)),
                    ("items", .list([.map([("key", .string(".dockerconfigjson")), ("path", .string("config.json"))])])),
                ]))]),
                .map([("name", .string("cache")), ("emptyDir", .map([]))]),
                .map([("name", .string("tmp")), ("emptyDir", .map([]))]),
            ])),
        ])
    }

    func mount(_ name: String, _ path: String, readOnly: Bool) -> YAMLValue {
        var fields: [(String, YAMLValue)] = [("name", .string(name)), ("mountPath", .string(path))]
        if readOnly { fields.append(("readOnly", .bool(true))) }
        return .map(fields)
    }

    func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
