import Yams

/// The Pod Security Standards' "restricted" profile (Kubernetes 1.33, which includes
/// "baseline"), as the admission controller applies it to a pod spec: our own statement of
/// the rules, checked on the generated Job's pod template. Returns what it refuses.
enum PodSecurityRestricted {
    static let allowedVolumeKinds: Set<String> = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                                                  "persistentVolumeClaim", "projected", "secret"]

    static func violations(pod spec: Node) -> [String] {
        var problems: [String] = []
        for field in ["hostNetwork", "hostPID", "hostIPC"] where spec[field]?.bool == true {
            problems.append("\(field) is true")
        }
        if spec["securityContext"]?["sysctls"] != nil { problems.append("sysctls are set") }
        if let user = spec["securityContext"]?["runAsUser"]?.int, user == 0 { problems.append("pod runAsUser is 0") }
        let podNonRoot = spec["securityContext"]?["runAsNonRoot"]?.bool == true
        let podSeccomp = spec["securityContext"]?["seccompProfile"]?["type"]?.string
        if let podSeccomp, !["RuntimeDefault", "Localhost"].contains(podSeccomp) { problems.append("pod seccomp \(podSeccomp)") }

        for volume in spec["volumes"]?.sequence ?? [] {
            let kinds = (volume.mapping.map { Array($0.keys) } ?? []).compactMap(\.string).filter { $0 != "name" }
            for kind in kinds where !allowedVolumeKinds.contains(kind) {
                problems.append("volume \(volume["name"]?.string ?? "?") is \(kind)")
            }
        }

        let containers = (spec["containers"]?.sequence ?? []) + (spec["initContainers"]?.sequence ?? [])
            + (spec["ephemeralContainers"]?.sequence ?? [])
        if containers.isEmpty { problems.append("no containers") }
        for container in containers {
            let name = container["name"]?.string ?? "?"
            let context = container["securityContext"]
            if context?["privileged"]?.bool == true { problems.append("\(name): privileged") }
            if context?["allowPrivilegeEscalation"]?.bool != false { problems.append("\(name): allowPrivilegeEscalation is not false") }
            let nonRoot = context?["runAsNonRoot"]?.bool ?? (podNonRoot ? true : nil)
            if nonRoot != true { problems.append("\(name): runAsNonRoot is not true") }
            if let user = context?["runAsUser"]?.int, user == 0 { problems.append("\(name): runAsUser is 0") }
            let seccomp = context?["seccompProfile"]?["type"]?.string ?? podSeccomp
            if !["RuntimeDefault", "Localhost"].contains(seccomp ?? "") { problems.append("\(name): no RuntimeDefault seccomp profile") }
            let drop = context?["capabilities"]?["drop"]?.sequence?.compactMap(\.string) ?? []
            if !drop.contains("ALL") { problems.append("\(name): capabilities do not drop ALL") }
            let add = context?["capabilities"]?["add"]?.sequence?.compactMap(\.string) ?? []
            for capability in add where capability != "NET_BIND_SERVICE" { problems.append("\(name): adds \(capability)") }
            if let procMount = context?["procMount"]?.string, procMount != "Default" { problems.append("\(name): procMount \(procMount)") }
            for port in container["ports"]?.sequence ?? [] where port["hostPort"] != nil {
                problems.append("\(name): hostPort")
            }
        }
        return problems
    }
}
