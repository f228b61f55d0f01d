import Foundation
import Testing
import TestSupport

/// samforge as a Harness/Drone plugin step: no arguments, settings as PLUGIN_* variables,
/// outputs appended to $DRONE_OUTPUT. Run against the test world's registries: the base on the
/// plain registry, the plugin image on the basic-auth one, the target on the token one.
@Suite("samforge plugin mode (PLUGIN_* settings)", .enabled(if: TestWorld.available))
struct PluginModeTests {
    /// The settings a Harness Plugin step would pass, for `target`.
    static func settings(target: String, base: String = "\(TestWorld.plain)/\(BuildHarness.nodeBase)",
                         plugin: String = "\(TestWorld.basic)/\(BuildHarness.plugin)") throws -> [String: String] {
        [
            "PLUGIN_SAM_BASE_IMAGE": base,
            "PLUGIN_PLUGIN_IMAGE": plugin,
            "PLUGIN_VERSION": "1.1.2",
            "PLUGIN_TARGET_REPO": target,
            "PLUGIN_GO_TEMPLATE": TestWorld.goTemplateURL,
            "PLUGIN_DOCKER_CLI_IMAGE": "\(TestWorld.plain)/\(BuildHarness.dockerCLI)",
            "PLUGIN_CACHE_DIR": try TemporaryDirectory().path + "/cache",
            "PLUGIN_USERNAME": TestWorld.tokenUser,
            "PLUGIN_PASSWORD": TestWorld.tokenPassword,
            "PLUGIN_SOURCE_USERNAME": TestWorld.basicUser,
            "PLUGIN_SOURCE_PASSWORD": TestWorld.basicPassword,
            "SOURCE_DATE_EPOCH": BuildHarness.epoch,
            // The test process's own environment must not decide: no fallbacks, no config.json.
            "DOCKER_USERNAME": "", "DOCKER_PASSWORD": "", "BASE_IMAGE": "", "SCRATCH_IMAGE": "",
            "DOCKER_CONFIG": try TemporaryDirectory().path,
        ]
    }

    static func plugin(_ environment: [String: String]) throws -> CommandResult {
        try Command.samforge([], environment: environment)
    }

    static var secrets: [String] { [TestWorld.tokenPassword, TestWorld.basicPassword] }

    static func expectNoSecret(_ result: CommandResult, _ files: [String] = []) throws {
        for secret in secrets {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
            for file in files { #expect(!(try String(contentsOfFile: file, encoding: .utf8)).contains(secret)) }
        }
    }

    @Test func buildsAndAppendsOutputsToDroneOutput() throws {
        let target = BuildHarness.newTarget("plugin", host: TestWorld.token)
        let output = try TemporaryDirectory().path + "/drone-output"
        try "EARLIER=kept\n".write(toFile: output, atomically: true, encoding: .utf8)
        var environment = try Self.settings(target: target)
        environment["DRONE_OUTPUT"] = output
        let result = try Self.plugin(environment)
        try #require(result.status == 0, "\(result.stderr)")
        try Self.expectNoSecret(result, [output])

        let tagged = "\(target):1.1.2-nodejs18.x-1.143.0-linux-amd64"
        let inspect = try BuildHarness.inspect(tagged, creds: "\(TestWorld.tokenUser):\(TestWorld.tokenPassword)")
        let digest = try #require(inspect["Digest"] as? String)
        #expect(result.lastLine == "\(tagged)@\(digest)")
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "EARLIER=kept")  // appended, as `echo >> $DRONE_OUTPUT` does
        #expect(lines.contains("FINAL_IMAGE=\(tagged)"))
        #expect(lines.contains("IMAGE_DIGEST=\(digest)"))
        #expect(lines.contains("SAM_RUNTIME=nodejs18.x"))

        // The same image as the command line builds from the same inputs.
        let direct = try BuildHarness.build(target: BuildHarness.newTarget("plugin-direct"))
        try #require(direct.status == 0, "\(direct.stderr)")
        #expect(direct.lastLine.hasSuffix("@\(digest)"))
    }

    /// PLUGIN_SOURCE_* reach the plugin image's registry and no other; PLUGIN_USERNAME/PASSWORD
    /// the target's.
    @Test func credentialsGoToTheirOwnRegistries() throws {
        // Without the source credentials the plugin image cannot be read.
        var noSource = try Self.settings(target: BuildHarness.newTarget("plugin-nosrc", host: TestWorld.token))
        noSource["PLUGIN_SOURCE_USERNAME"] = ""
        noSource["PLUGIN_SOURCE_PASSWORD"] = ""
        let refused = try Self.plugin(noSource)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.errorLine.contains(TestWorld.basic), "\(refused.stderr)")

        // They are for the plugin image's registry only: a base there is not read with them.
        let scoped = BuildHarness.newTarget("plugin-scope", host: TestWorld.token)
        let onBasic = try Self.plugin(try Self.settings(target: scoped, base: "\(TestWorld.basic)/\(BuildHarness.nodeBase)",
                                                        plugin: "\(TestWorld.plain)/\(BuildHarness.plugin)"))
        #expect(onBasic.status == 1, "\(onBasic.stderr)")
        #expect(onBasic.errorLine.contains(TestWorld.basic), "\(onBasic.stderr)")
        #expect(try BuildHarness.hasNoTags(scoped))

        // Without the target credentials nothing is pushed.
        let unpushed = BuildHarness.newTarget("plugin-notarget", host: TestWorld.token)
        var noTarget = try Self.settings(target: unpushed)
        noTarget["PLUGIN_USERNAME"] = ""
        noTarget["PLUGIN_PASSWORD"] = ""
        let denied = try Self.plugin(noTarget)
        #expect(denied.status == 1, "\(denied.stderr)")
        try Self.expectNoSecret(denied)
        let tags = try BuildHarness.skopeo(["list-tags", "docker://" + unpushed], creds: "\(TestWorld.tokenUser):\(TestWorld.tokenPassword)")
        let pushed = tags.status == 0 ? (try BuildHarness.json(tags.stdout)["Tags"] as? [String] ?? []) : []
        #expect(pushed.isEmpty)
    }

    /// Several runtimes comma-separated, booleans as true/false, list settings split at commas.
    @Test func listsAndBooleans() throws {
        let target = BuildHarness.newTarget("plugin-list", host: TestWorld.token)
        let output = try TemporaryDirectory().path + "/drone-output"
        var environment = try Self.settings(target: target)
        environment["PLUGIN_SAM_BASE_IMAGE"] = "\(TestWorld.plain)/\(BuildHarness.nodeBase), \(TestWorld.plain)/\(BuildHarness.pythonBase)"
        environment["PLUGIN_TIMESTAMP_TAG"] = "true"
        environment["PLUGIN_QUIET"] = "TRUE"
        environment["PLUGIN_NO_GO_TEMPLATE"] = "false"
        environment["DRONE_OUTPUT"] = output
        let result = try Self.plugin(environment)
        try #require(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("samforge: blob"), "PLUGIN_QUIET=TRUE")
        let tags = try BuildHarness.json(try BuildHarness.skopeo(["list-tags", "docker://" + target],
                                                                 creds: "\(TestWorld.tokenUser):\(TestWorld.tokenPassword)").stdout)["Tags"] as? [String]
        // Image tags (the referrers tag schema's sha256-HEX indexes are the attestations').
        #expect(Set((tags ?? []).filter { !$0.hasPrefix("sha256-") }) == [
            "1.1.2-nodejs18.x-1.143.0-linux-amd64", "1.1.2-nodejs18.x-1.143.0-linux-amd64-20231114221320",
            "1.1.2-python3.12-1.143.0-linux-amd64", "1.1.2-python3.12-1.143.0-linux-amd64-20231114221320",
        ])
        let env = try String(contentsOfFile: output, encoding: .utf8)
        #expect(env.contains("FINAL_IMAGE_NODEJS18_X=\(target):1.1.2-nodejs18.x-1.143.0-linux-amd64\n"))
        #expect(env.contains("FINAL_IMAGE_PYTHON3_12=\(target):1.1.2-python3.12-1.143.0-linux-amd64\n"))
        #expect(env.contains("IMAGE_DIGEST_PYTHON3_12=sha256:"))
        // PLUGIN_NO_GO_TEMPLATE=false installs go-template as usual.
        #expect(!result.stderr.contains("go-template: skipped"))
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let label: String
        let environment: [String: String]
        let message: String
        var testDescription: String { label }
    }

    static let refusals: [Refusal] = [
        .init(label: "unknown setting", environment: ["PLUGIN_TARGET_REPOSITORY": "x"],
              message: "PLUGIN_TARGET_REPOSITORY (did you mean PLUGIN_TARGET_REPO?) is not a samforge build setting (settings: sam_base_image, plugin_image, version,"),
        .init(label: "a secret under an unknown name is not echoed", environment: ["PLUGIN_PASSWRD": "s3cr3t-value"],
              message: "PLUGIN_PASSWRD (did you mean PLUGIN_PASSWORD?) is not a samforge build setting"),
        .init(label: "malformed boolean", environment: ["PLUGIN_TIMESTAMP_TAG": "yes"], message: "PLUGIN_TIMESTAMP_TAG must be true or false"),
        .init(label: "empty list item", environment: ["PLUGIN_INSECURE_REGISTRY": "a,,b"],
              message: "PLUGIN_INSECURE_REGISTRY has an empty item: give values separated by single commas"),
        .init(label: "trailing comma", environment: ["PLUGIN_SAM_BASE_IMAGE": "public.ecr.aws/sam/build-nodejs18.x:1.143.0,"],
              message: "PLUGIN_SAM_BASE_IMAGE has an empty item"),
        .init(label: "source password without user", environment: ["PLUGIN_SOURCE_USERNAME": ""],
              message: "set both PLUGIN_SOURCE_USERNAME and PLUGIN_SOURCE_PASSWORD, or neither"),
        .init(label: "source credentials without a plugin image", environment: ["PLUGIN_PLUGIN_IMAGE": ""],
              message: "PLUGIN_SOURCE_USERNAME is set but no plugin image is (PLUGIN_PLUGIN_IMAGE)"),
        .init(label: "invalid base named by its setting", environment: ["PLUGIN_SAM_BASE_IMAGE": "public.ecr.aws/sam/build-nodejs18.x:latest"],
              message: "PLUGIN_SAM_BASE_IMAGE \"public.ecr.aws/sam/build-nodejs18.x:latest\": floating tag \"latest\""),
        .init(label: "a target with a tag named by its setting", environment: ["PLUGIN_TARGET_REPO": "registry.example.com/x:1"],
              message: "PLUGIN_TARGET_REPO \"registry.example.com/x:1\": give a repository without tag or digest"),
        .init(label: "an invalid version named by its setting", environment: ["PLUGIN_VERSION": "1/2"],
              message: "PLUGIN_VERSION \"1/2\": it starts the image tag"),
        .init(label: "build's checks speak in settings", environment: ["PLUGIN_NO_DOCKER_CLI": "true"],
              message: "choose one of PLUGIN_DOCKER_CLI_IMAGE, PLUGIN_DOCKER_CLI_FILE and PLUGIN_NO_DOCKER_CLI"),
        .init(label: "bad DRONE_OUTPUT", environment: ["DRONE_OUTPUT": "/nonexistent/dir/out"],
              message: "DRONE_OUTPUT /nonexistent/dir/out: no such directory /nonexistent/dir"),
    ]

    /// Each refused before any traffic: exit 2, one line, nothing pushed, no secret shown.
    @Test(arguments: refusals)
    func refusesBadSettingsWithOneLine(_ refusal: Refusal) throws {
        let target = BuildHarness.newTarget("plugin-refused", host: TestWorld.token)
        var environment = try Self.settings(target: target)
        environment.merge(refusal.environment) { _, new in new }
        let result = try Self.plugin(environment)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.errorLine.contains(refusal.message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.contains("s3cr3t-value"))
        try Self.expectNoSecret(result)
        #expect(try BuildHarness.hasNoTags(target))
    }

    /// Every option `samforge build --help` lists is a setting (the list is build's own, so a new
    /// option needs no change to plugin mode); help is no setting.
    @Test func everyBuildOptionIsASetting() throws {
        let help = try Command.samforge(["build", "--help"])
        // The options section: "  --name <value>   help" or "  -h, --help   help".
        let options = Set(help.stdout.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard line.hasPrefix("  "), let flag = words.first(where: { $0.hasPrefix("--") }),
                  words.prefix(2).contains(flag) else { return nil }
            return String(flag.dropFirst(2))
        })
        try #require(options.isSuperset(of: ["sam-base-image", "plugin-image", "go-template", "docker-cli-image", "no-docker-cli"]))
        for option in options.subtracting(["help"]) {
            let variable = "PLUGIN_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
            // A value no option accepts: the setting is recognised when the refusal is not "not a setting".
            var environment = ["PLUGIN_SAM_BASE_IMAGE": "invalid", "PLUGIN_CACHE_DIR": try TemporaryDirectory().path]
            environment[variable] = "not-a-valid-value"
            let result = try Command.samforge([], environment: environment)
            #expect(!result.stderr.contains("is not a samforge build setting"), "\(variable): \(result.stderr)")
            #expect(result.status != 0)
        }
        let helpSetting = try Command.samforge([], environment: ["PLUGIN_SAM_BASE_IMAGE": "x", "PLUGIN_HELP": "true"])
        #expect(helpSetting.errorLine.contains("PLUGIN_HELP is not a samforge build setting"), "\(helpSetting.stderr)")
    }

    /// The Plugin step `samforge pipeline harness --step plugin` prints uses settings plugin mode
    /// reads: each PLUGIN_<KEY> is a setting or a credential.
    @Test func harnessPluginStepSettingsAreSettings() throws {
        let pipeline = try Command.samforge(["pipeline", "harness", "--step", "plugin", "--timestamp-tag"])
        try #require(pipeline.status == 0, "\(pipeline.stderr)")
        let lines = pipeline.stdout.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex { $0.hasSuffix("settings:") })
        let indent = lines[start].prefix { $0 == " " }.count + 2
        let keys = lines[(start + 1)...].prefix { $0.prefix { $0 == " " }.count == indent }
            .compactMap { $0.split(separator: ":").first.map { $0.trimmingCharacters(in: .whitespaces) } }
        #expect(Set(keys).isSuperset(of: ["sam_base_image", "plugin_image", "version", "target_repo", "username", "password"]))
        var environment: [String: String] = ["DOCKER_CONFIG": try TemporaryDirectory().path]
        for key in keys { environment["PLUGIN_" + key.uppercased()] = key == "timestamp_tag" ? "true" : "x" }
        environment["PLUGIN_CACHE_DIR"] = try TemporaryDirectory().path
        let result = try Command.samforge([], environment: environment)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(!result.stderr.contains("is not a samforge build setting"), "\(result.stderr)")
        #expect(result.errorLine.contains("PLUGIN_SAM_BASE_IMAGE \"x\": repository must be a SAM build image"), "\(result.stderr)")
    }

    /// The target's pair behaves as DOCKER_USERNAME/DOCKER_PASSWORD do in a Run step (the
    /// generated Plugin step leaves the user name optional): half of it is ignored with one
    /// warning, in both forms alike. To a registry without auth both forms build; to the token
    /// registry both fail to push (exit 1) and push nothing.
    @Test(arguments: [(user: "", password: "s3cr3t-value"), (user: "ci", password: "")])
    func halfATargetCredentialPairIsIgnoredInBothForms(_ pair: (user: String, password: String)) throws {
        for host in [TestWorld.plain, TestWorld.token] {
            let pluginTarget = BuildHarness.newTarget("half-plugin", host: host)
            var plugin = try Self.settings(target: pluginTarget, plugin: "\(TestWorld.plain)/\(BuildHarness.plugin)")
            plugin["PLUGIN_SOURCE_USERNAME"] = ""
            plugin["PLUGIN_SOURCE_PASSWORD"] = ""
            plugin["PLUGIN_USERNAME"] = pair.user
            plugin["PLUGIN_PASSWORD"] = pair.password
            let viaPlugin = try Self.plugin(plugin)

            let runTarget = BuildHarness.newTarget("half-run", host: host)
            let viaRun = try BuildHarness.build(target: runTarget, environment: [
                "SOURCE_DATE_EPOCH": BuildHarness.epoch, "DOCKER_USERNAME": pair.user, "DOCKER_PASSWORD": pair.password,
                "DOCKER_CONFIG": try TemporaryDirectory().path,
            ])
            let expected: Int32 = host == TestWorld.plain ? 0 : 1
            for (form, result, prefix) in [("plugin", viaPlugin, "PLUGIN_"), ("run", viaRun, "DOCKER_")] {
                #expect(result.status == expected, "\(form) to \(host): \(result.stderr)")
                let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("samforge: warning: ") && $0.contains("USERNAME") }
                #expect(warnings.count == 1, "\(form): \(result.stderr)")
                let set = pair.user.isEmpty ? "\(prefix)PASSWORD is set but \(prefix)USERNAME is empty" : "\(prefix)USERNAME is set but \(prefix)PASSWORD is empty"
                #expect(warnings.first?.contains(set + ": both are ignored") == true, "\(form): \(result.stderr)")
                #expect(!result.stderr.contains("s3cr3t-value"))
            }
            if host == TestWorld.token {
                #expect(try BuildHarness.hasNoTags(pluginTarget) && BuildHarness.hasNoTags(runTarget))
            }
        }
    }

    /// Arguments turn plugin mode off: samforge is the usual command line.
    @Test func argumentsTurnPluginModeOff() throws {
        let version = try Command.samforge(["version"], environment: ["PLUGIN_SAM_BASE_IMAGE": "x", "PLUGIN_FOO": "1"])
        #expect(version.status == 0 && version.stdout == "0.1.0\n", "\(version.stderr)")
    }
}
