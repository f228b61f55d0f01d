import Foundation
import Testing
@testable import OCI

private let diff1 = "sha256:3d27a1b1c8b8e6e4c1f0d7d7a2d3e2e1b1c8b8e6e4c1f0d7d7a2d3e2e1b1c8b8"
private let diff2 = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

/// Shaped like a SAM build image config as Docker writes it, with fields samforge does not model.
let samConfigJSON = """
{
  "architecture": "amd64",
  "config": {
    "Hostname": "",
    "Domainname": "",
    "User": "",
    "AttachStdin": false,
    "Tty": false,
    "Env": [
      "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
      "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
      "LANG=en_US.UTF-8",
      "TZ=:/etc/localtime",
      "LAMBDA_TASK_ROOT=/var/task"
    ],
    "Cmd": ["/bin/bash"],
    "Healthcheck": {"Test": ["NONE"], "Interval": 30000000000},
    "ArgsEscaped": true,
    "Image": "sha256:0ba1c3e0b5d0c6f1e2bc3e2e0d2b8d0c7ce9b5c3f2d1e0a9b8c7d6e5f4a3b2c1",
    "Volumes": null,
    "WorkingDir": "/var/task",
    "Entrypoint": [],
    "OnBuild": null,
    "Labels": {"com.amazonaws.sam.version": "1.143.0", "maintainer": "AWS"},
    "ExposedPorts": {"8080/tcp": {}},
    "Shell": ["/bin/sh", "-c"],
    "StopSignal": "SIGTERM"
  },
  "container": "6c8f9e0c3d2b",
  "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) CMD [\\"/bin/bash\\"]"], "Env": ["A=B"]},
  "created": "2025-05-02T20:03:16.123456789Z",
  "docker_version": "20.10.25",
  "history": [
    {"created": "2025-04-30T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
    {"created": "2025-05-02T20:03:16Z", "created_by": "/bin/sh -c #(nop)  CMD [\\"/bin/bash\\"]", "empty_layer": true},
    {"created": "2025-05-02T20:03:16Z", "created_by": "RUN /bin/sh -c yum install -y tar # buildkit", "comment": "buildkit.dockerfile.v0", "author": "AWS"}
  ],
  "os": "linux",
  "rootfs": {"type": "layers", "diff_ids": ["\(diff1)", "\(diff2)"]},
  "moby.buildkit.buildinfo.v1": "eyJmcm9udGVuZCI6ImRvY2tlcmZpbGUudjAifQ==",
  "big_number": 12345678901234,
  "ratio": 0.25
}
"""

private func editor() throws -> ConfigEditor { try ConfigEditor(bytes: Array(samConfigJSON.utf8)) }
private func decoded(_ editor: ConfigEditor) throws -> ImageConfig { try ImageConfig.decode(try editor.encoded()) }
private func tree(_ bytes: [UInt8]) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }

@Suite("ImageConfig and ConfigEditor")
struct ImageConfigTests {
    @Test func decodesRealisticDockerConfig() throws {
        let config = try ImageConfig.decode(Array(samConfigJSON.utf8))
        #expect(config.architecture == "amd64")
        #expect(config.os == "linux")
        #expect(config.platform == .linuxAMD64)
        #expect(config.created == "2025-05-02T20:03:16.123456789Z")
        #expect(config.config?.Env?.count == 5)
        #expect(config.config?.Env?.first == "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin")
        #expect(config.config?.Entrypoint == [])
        #expect(config.config?.Cmd == ["/bin/bash"])
        #expect(config.config?.WorkingDir == "/var/task")
        #expect(config.config?.User == "")
        #expect(config.config?.Volumes == nil)
        #expect(config.config?.Labels?["maintainer"] == "AWS")
        #expect(config.config?.ExposedPorts?["8080/tcp"] == .object([:]))
        #expect(config.config?.StopSignal == "SIGTERM")
        #expect(config.rootfs?.type == "layers")
        #expect(config.rootfs?.diff_ids.map(\.description) == [diff1, diff2])
        #expect(config.history?.count == 3)
        #expect(config.history?[1].empty_layer == true)
        #expect(config.history?[2].author == "AWS")
        #expect(config.history?[2].comment == "buildkit.dockerfile.v0")
    }

    @Test func decodesMinimalAndNullConfig() throws {
        let minimal = try ImageConfig.decode(Array(#"{"architecture":"arm64","os":"linux","variant":"v8","config":null}"#.utf8))
        #expect(minimal.config == nil)
        #expect(minimal.rootfs == nil)
        #expect(minimal.platform == Platform(os: "linux", architecture: "arm64", variant: "v8"))
        #expect(try ImageConfig.decode(Array("{}".utf8)).platform == nil)
        #expect(throws: (any Error).self) { try ImageConfig.decode(Array(#"{"rootfs":{"type":"layers","diff_ids":["sha256:bad"]}}"#.utf8)) }
    }

    @Test func setEnvReplacesInPlace() throws {
        var e = try editor()
        e.setEnv("LANG", "C.UTF-8")
        let env = try decoded(e).config?.Env
        #expect(env == [
            "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
            "LANG=C.UTF-8",
            "TZ=:/etc/localtime",
            "LAMBDA_TASK_ROOT=/var/task",
        ])
    }

    @Test func setEnvAppendsNewKeysInOrder() throws {
        var e = try editor()
        e.setEnv("HARNESS_GO_PLUGIN_VERSION", "v0.4.5")
        e.setEnv("DOCKER_VERSION", "26.0.1")
        e.setEnv("PATH", "/opt/harness/bin:/var/lang/bin")
        e.setEnv("HARNESS_GO_PLUGIN_VERSION", "v0.4.6")
        e.setEnv("EMPTY", "")
        e.setEnv("EQUALS", "a=b=c")
        let env = try decoded(e).config?.Env ?? []
        #expect(env.first == "PATH=/opt/harness/bin:/var/lang/bin")
        #expect(Array(env.suffix(4)) == ["HARNESS_GO_PLUGIN_VERSION=v0.4.6", "DOCKER_VERSION=26.0.1", "EMPTY=", "EQUALS=a=b=c"])
        #expect(env.count == 9)
    }

    @Test("setEnv matches whole keys only", arguments: [
        (["LANG=x", "LANGUAGE=y"], "LANG", ["LANG=new", "LANGUAGE=y"]),
        (["LANGUAGE=y", "LANG=x"], "LANG", ["LANGUAGE=y", "LANG=new"]),
        (["LANGUAGE=y"], "LANG", ["LANGUAGE=y", "LANG=new"]),
        (["XLANG=y"], "LANG", ["XLANG=y", "LANG=new"]),
        (["LANG"], "LANG", ["LANG=new"]),
        (["lang=x"], "LANG", ["lang=x", "LANG=new"]),
        ([], "LANG", ["LANG=new"]),
    ])
    func setEnvWholeKeys(_ before: [String], _ key: String, _ after: [String]) throws {
        let json = try CanonicalJSON.encode(["config": ["Env": before]])
        var e = try ConfigEditor(bytes: json)
        e.setEnv(key, "new")
        #expect(try decoded(e).config?.Env == after)
    }

    @Test func setEnvWithoutConfigObject() throws {
        for json in [#"{}"#, #"{"config":null}"#, #"{"config":{"Env":null}}"#] {
            var e = try ConfigEditor(bytes: Array(json.utf8))
            e.setEnv("A", "1")
            #expect(try decoded(e).config?.Env == ["A=1"], "\(json)")
        }
    }

    @Test func setEntrypointClearsCmd() throws {
        var e = try editor()
        e.setEntrypoint(["/opt/harness/scripts/sam-plugin.sh"])
        let config = try decoded(e).config
        #expect(config?.Entrypoint == ["/opt/harness/scripts/sam-plugin.sh"])
        #expect(config?.Cmd == nil)
        #expect(config?.WorkingDir == "/var/task")
        let document = try tree(try e.encoded())
        #expect(document["config"]?["Cmd"] == nil || document["config"]?["Cmd"] == .null)
    }

    @Test func appendLayerExtendsDiffIDsAndHistory() throws {
        var e = try editor()
        let d3 = Digest.of(Array("layer3".utf8))
        let d4 = Digest.of(Array("layer4".utf8))
        e.appendLayer(diffID: d3, history: .init(created: "1970-01-01T00:00:00Z", created_by: "samforge: harness plugin", comment: "samforge"))
        e.appendLayer(diffID: d4, history: .init(created_by: "samforge: docker cli", author: "samforge"))
        e.appendHistory(.init(created_by: "ENTRYPOINT", empty_layer: true))
        let config = try decoded(e)
        #expect(config.rootfs?.type == "layers")
        #expect(config.rootfs?.diff_ids.map(\.description) == [diff1, diff2, d3.description, d4.description])
        #expect(config.history?.count == 6)
        #expect(config.history?[3].created_by == "samforge: harness plugin")
        #expect(config.history?[3].created == "1970-01-01T00:00:00Z")
        #expect(config.history?[3].comment == "samforge")
        #expect(config.history?[3].empty_layer == nil)
        #expect(config.history?[4].author == "samforge")
        #expect(config.history?[5].empty_layer == true)
        // Layers that are not empty_layer line up with diff_ids.
        #expect(config.history?.filter { $0.empty_layer != true }.count == config.rootfs?.diff_ids.count)
    }

    @Test func appendLayerCreatesRootFS() throws {
        var e = try ConfigEditor(bytes: Array(#"{"architecture":"amd64","os":"linux"}"#.utf8))
        let d = Digest.of([])
        e.appendLayer(diffID: d, history: .init(created_by: "x"))
        let config = try decoded(e)
        #expect(config.rootfs?.type == "layers")
        #expect(config.rootfs?.diff_ids == [d])
        #expect(config.history?.count == 1)
    }

    @Test func unknownFieldsSurviveAnEdit() throws {
        var e = try editor()
        e.setEnv("DOCKER_VERSION", "26.0.1")
        e.setEntrypoint(["/opt/harness/scripts/sam-plugin.sh"])
        e.appendLayer(diffID: Digest.of([]), history: .init(created_by: "x"))
        e.setCreated("1970-01-01T00:00:00Z")
        guard case .object(var before) = try tree(Array(samConfigJSON.utf8)),
              case .object(var after) = try tree(try e.encoded()) else { Issue.record("not objects"); return }
        #expect(after["created"] == .string("1970-01-01T00:00:00Z"))
        for key in ["created", "history", "rootfs", "config"] {
            before[key] = nil
            after[key] = nil
        }
        #expect(before == after)
        #expect(after["moby.buildkit.buildinfo.v1"] == .string("eyJmcm9udGVuZCI6ImRvY2tlcmZpbGUudjAifQ=="))
        #expect(after["big_number"] == .int(12345678901234))
        #expect(after["ratio"] == .double(0.25))

        guard case .object(var beforeConfig)? = try tree(Array(samConfigJSON.utf8))["config"],
              case .object(var afterConfig)? = try tree(try e.encoded())["config"] else { Issue.record("no config"); return }
        for key in ["Env", "Entrypoint", "Cmd"] {
            beforeConfig[key] = nil
            afterConfig[key] = nil
        }
        #expect(beforeConfig == afterConfig)
        #expect(afterConfig["Healthcheck"]?["Interval"] == .int(30000000000))
        #expect(afterConfig["OnBuild"] == .null)
        #expect(afterConfig["Volumes"] == .null)
        #expect(afterConfig["ArgsEscaped"] == .bool(true))
    }

    @Test func encodedOutputIsDeterministic() throws {
        func build() throws -> [UInt8] {
            var e = try editor()
            e.setEnv("A", "1")
            e.setEntrypoint(["/x"])
            e.appendLayer(diffID: Digest.of([]), history: .init(created: "1970-01-01T00:00:00Z", created_by: "x"))
            return try e.encoded()
        }
        let first = try build()
        for _ in 0..<5 { #expect(try build() == first) }
        let text = String(decoding: first, as: UTF8.self)
        #expect(!text.contains("\\/"))
        #expect(!text.contains("\n"))
        #expect(text.hasPrefix(#"{"architecture":"amd64","big_number":12345678901234,"config":{"#))
        // Re-reading and re-encoding without edits is a fixed point.
        #expect(try ConfigEditor(bytes: first).encoded() == first)
        // Unedited encode of the base is canonical too.
        let base = try editor().encoded()
        #expect(try ConfigEditor(bytes: base).encoded() == base)
    }

    @Test("rejects non-object configs", arguments: ["[]", "\"x\"", "1", "null", "not json", ""])
    func rejectsNonObjects(_ json: String) {
        #expect(throws: (any Error).self) { try ConfigEditor(bytes: Array(json.utf8)) }
    }
}
