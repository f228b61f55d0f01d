extension HarnessPipeline {
    /// Entries that share their overrides share one step (its matrix runs over their bases),
    /// in the order the matrix first names them; without a matrix, one step whose bases are
    /// entered when the pipeline runs.
    struct StepPlan {
        var name: String
        var identifier: String
        var overrides: BuildMatrix.Overrides
        /// nil: `<+input>`
        var bases: [String]?
    }

    var stepPlans: [StepPlan] {
        guard let matrix else {
            return [StepPlan(name: "build", identifier: "build", overrides: .init(), bases: nil)]
        }
        var plans: [StepPlan] = []
        for entry in matrix.entries {
            if let index = plans.firstIndex(where: { $0.overrides == entry.overrides }) {
                plans[index].bases?.append(entry.samBaseImage)
            } else {
                let number = plans.count + 1
                plans.append(StepPlan(name: number == 1 ? "build" : "build set \(number)", identifier: Self.stepIdentifier(number),
                                      overrides: entry.overrides, bases: [entry.samBaseImage]))
            }
        }
        return plans
    }

    /// Harness names the iterations of a step with an N-value matrix `<id>_0` to `<id>_{N-1}`.
    /// `build`, `build_set2`, `build_set3`…: no identifier ends in `_DIGITS`, and none is
    /// another's iteration name, whatever the number of entries.
    static func stepIdentifier(_ number: Int) -> String {
        number == 1 ? "build" : "build_set\(number)"
    }

    var buildSteps: [YAMLValue] {
        stepPlans.map { plan in
            .map([
                ("type", .string(options.step == .run ? "Run" : "Plugin")),
                ("name", .string(plan.name)),
                ("identifier", .string(plan.identifier)),
                ("spec", options.step == .run ? runSpec(plan) : pluginSpec(plan)),
                ("timeout", .string("30m")),
                ("strategy", .map([("matrix", .map([
                    ("sam_base_image", plan.bases.map { .list($0.map(YAMLValue.string)) } ?? .string("<+input>")),
                    ("maxConcurrency", .int(options.maxConcurrency)),
                ]))])),
            ])
        }
    }

    /// The build's inputs for one step: the entry's overrides, else the pipeline's variables.
    func inputs(_ plan: StepPlan) -> [(key: String, value: String)] {
        [
            ("SAM_BASE_IMAGE", "<+matrix.sam_base_image>"),
            ("BASE_IMAGE", plan.overrides.pluginImage ?? "<+pipeline.variables.BASE_IMAGE>"),
            ("VERSION", plan.overrides.version ?? "<+pipeline.variables.VERSION>"),
            ("TARGET_REPO", plan.overrides.targetRepo ?? "<+pipeline.variables.TARGET_REPO>"),
            ("DOCKER_USERNAME", "<+pipeline.variables.DOCKER_USERNAME>"),
            ("DOCKER_PASSWORD", "<+pipeline.variables.DOCKER_PASSWORD>"),
        ] + signingInputs
    }

    /// The signing key and its password, straight from their secrets (no pipeline variable
    /// holds them).
    var signingInputs: [(key: String, value: String)] {
        guard let key = options.signKeySecret else { return [] }
        return [("SIGN_KEY", "<+secrets.getValue(\"\(key)\")>")]
            + (options.signKeyPasswordSecret.map { [("COSIGN_PASSWORD", "<+secrets.getValue(\"\($0)\")>")] } ?? [])
    }

    /// Values reach the shell as environment variables, never spliced into the script, so no
    /// value can change what the script runs.
    static func runCommand(timestampTag: Bool, sign: Bool = false) -> String {
        """
        set -eu
        samforge build \\
          --sam-base-image "$SAM_BASE_IMAGE" \\
          --plugin-image "$BASE_IMAGE" \\
          --version "$VERSION" \\
          --target-repo "$TARGET_REPO" \\
          --cache-dir \(cacheDirectory) \\
          --output-env \(outputFile)\(timestampTag ? " \\\n  --timestamp-tag" : "")\(sign ? " \\\n  --sign-key env://SIGN_KEY" : "")
        # Exports FINAL_IMAGE, IMAGE_DIGEST, SAM_RUNTIME,
        # SAM_VERSION and TIMESTAMP to the step's outputs.
        set -a
        . \(outputFile)
        set +a

        """
    }

    func runSpec(_ plan: StepPlan) -> YAMLValue {
        .map([
            ("connectorRef", .string(options.registryConnector)),
            ("image", .string(options.image)),
            ("shell", .string("Sh")),
            ("command", .block(Self.runCommand(timestampTag: options.timestampTag, sign: options.signKeySecret != nil))),
            ("envVariables", .map(inputs(plan).map { ($0.key, .string($0.value)) })),
            ("outputVariables", .list(Self.outputVariables.map { name in
                .map([("name", .string(name)), ("type", .string("String")), ("value", .string(name))])
            })),
            ("runAsUser", .int(options.uid)),
            ("resources", resources),
        ])
    }

    /// samforge's plugin mode reads each setting as PLUGIN_<NAME> and writes its outputs to
    /// DRONE_OUTPUT, which Harness turns into the step's output variables.
    func pluginSpec(_ plan: StepPlan) -> YAMLValue {
        let names = ["SAM_BASE_IMAGE": "sam_base_image", "BASE_IMAGE": "plugin_image", "VERSION": "version",
                     "TARGET_REPO": "target_repo", "DOCKER_USERNAME": "username", "DOCKER_PASSWORD": "password",
                     "SIGN_KEY": "sign_key", "COSIGN_PASSWORD": "sign_key_password"]
        var settings: [(String, YAMLValue)] = inputs(plan).map { (names[$0.key] ?? $0.key.lowercased(), .string($0.value)) }
        settings.append(("cache_dir", .string(Self.cacheDirectory)))
        if options.timestampTag { settings.append(("timestamp_tag", .string("true"))) }
        return .map([
            ("connectorRef", .string(options.registryConnector)),
            ("image", .string(options.image)),
            ("settings", .map(settings)),
            ("runAsUser", .int(options.uid)),
            ("resources", resources),
        ])
    }

    /// samforge streams blobs: memory stays small whatever the image size.
    var resources: YAMLValue {
        .map([("limits", .map([("memory", .string("1Gi")), ("cpu", .string("1"))]))])
    }
}
