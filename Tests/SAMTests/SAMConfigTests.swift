import Foundation
import OCI
import Testing
@testable import SAM

/// A Docker-built base config, with fields samforge does not model and an Env key the recipe sets.
private let baseConfig = """
{"architecture":"amd64","os":"linux","created":"2025-05-02T20:03:16Z","docker_version":"20.10.25",
 "config":{"Env":["PATH=/var/lang/bin:/usr/bin","DOCKER_VERSION=20.10","LANG=en_US.UTF-8"],
  "Entrypoint":[],"Cmd":["/bin/bash"],"WorkingDir":"/var/task","User":"","Labels":{"maintainer":"x"},
  "Healthcheck":{"Test":["NONE"]}},
 "rootfs":{"type":"layers","diff_ids":["sha256:\(String(repeating: "1", count: 64))"]},
 "history":[{"created":"2025-05-02T20:03:16Z","created_by":"ADD base /"},{"created":"2025-05-02T20:03:16Z","created_by":"ENV X=1","empty_layer":true}]}
"""

private func layer(_ n: Character, _ createdBy: String) throws -> (diffID: Digest, createdBy: String) {
    (try Digest("sha256:" + String(repeating: "d", count: 63) + String(n)), createdBy)
}

@Suite("Config composition (the Dockerfile's ENV, ENTRYPOINT and layers)")
struct SAMConfigTests {
    func composed() throws -> (bytes: [UInt8], config: ImageConfig, json: JSONValue) {
        let bytes = try SAMRecipe.composeConfig(base: Array(baseConfig.utf8), layers: [try layer("a", "plugin"), try layer("b", "tools")],
                                                created: "2023-11-14T22:13:20Z")
        return (bytes, try ImageConfig.decode(bytes), try JSONDecoder().decode(JSONValue.self, from: Data(bytes)))
    }

    @Test func envKeepsBaseOrderReplacesInPlaceAndAppendsInDockerfileOrder() throws {
        let env = try composed().config.config?.Env
        #expect(env == [
            "PATH=/var/lang/bin:/usr/bin", "DOCKER_VERSION=26.0.1", "LANG=en_US.UTF-8",
            "HARNESS_GO_PLUGIN_VERSION=v0.4.5", "INSTALL_GO_TEMPLATE_BINARY=true", "UNIFIED_PIPELINE=false",
        ])
    }

    @Test func entrypointReplacesAndCmdIsCleared() throws {
        let (_, config, json) = try composed()
        #expect(config.config?.Entrypoint == ["/opt/harness/scripts/sam-plugin.sh"])
        #expect(config.config?.Cmd == nil)
        #expect(json["config"]?["Cmd"] == nil)
    }

    @Test func layersHistoryAndCreated() throws {
        let config = try composed().config
        #expect(config.rootfs?.diff_ids.map(\.description) == [
            "sha256:" + String(repeating: "1", count: 64),
            "sha256:" + String(repeating: "d", count: 63) + "a",
            "sha256:" + String(repeating: "d", count: 63) + "b",
        ])
        let history = config.history ?? []
        #expect(history.count == 4)
        #expect(history.suffix(2).map(\.created_by) == ["plugin", "tools"])
        #expect(history.suffix(2).allSatisfy { $0.created == "2023-11-14T22:13:20Z" && $0.comment == "samforge build" && $0.empty_layer == nil })
        #expect(config.created == "2023-11-14T22:13:20Z")
    }

    @Test func untouchedFieldsSurvive() throws {
        let (_, config, json) = try composed()
        #expect(config.config?.WorkingDir == "/var/task")
        #expect(config.config?.Labels == ["maintainer": "x"])
        #expect(json["docker_version"] == .string("20.10.25"))
        #expect(json["config"]?["Healthcheck"]?["Test"] == .array([.string("NONE")]))
        #expect(config.architecture == "amd64" && config.os == "linux")
    }

    @Test func canonicalAndDeterministic() throws {
        let first = try composed().bytes, second = try composed().bytes
        #expect(first == second)
        let text = String(decoding: first, as: UTF8.self)
        #expect(!text.contains("\n") && !text.contains("\\/"))
        #expect(text.hasPrefix("{\"architecture\":\"amd64\",\"config\":{"))
    }
}
