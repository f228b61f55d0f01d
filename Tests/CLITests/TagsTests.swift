import Foundation
import Testing
import TestSupport

/// `samforge tags` against the test world, and its Link pagination against a scripted registry
/// (the test world's registry ignores `n` and never paginates).
@Suite("tags", .enabled(if: TestWorld.available))
struct TagsTests {
    @Test func listsTheRepositoryTagsAsSkopeoDoes() throws {
        let repository = "\(TestWorld.plain)/sam/build-nodejs18.x"
        let ours = try CopyKit.succeed(["tags", repository]).stdout.split(separator: "\n").map(String.init)
        let skopeo = try CopyKit.skopeo(["list-tags", "--tls-verify=false", "docker://\(repository)"])["Tags"] as? [String]
        #expect(ours == ["1.143.0", "1.143.0-20250502200316-arm64", "1.143.0-20250502200316-x86_64"])
        #expect(ours.sorted() == skopeo?.sorted())

        let json = try CopyKit.succeed(["tags", "--json", "docker://" + repository]).stdout
        #expect(try JSONDecoder().decode([String].self, from: Data(json.utf8)) == ours)
    }

    @Test func tokenRegistryWithDockerConfig() throws {
        let config = try TestWorld.dockerConfig(host: TestWorld.token, user: TestWorld.tokenUser, password: TestWorld.tokenPassword)
        let result = try CopyKit.succeed(["tags", "\(TestWorld.token)/library/docker"], environment: ["DOCKER_CONFIG": config])
        #expect(result.stdout == "26.0.1-cli\n")
    }

    @Test func followsLinkPagination() throws {
        let stub = try PaginatingRegistry(tags: (0..<5).map { "v\($0)" })
        defer { stub.stop() }
        let paged = try CopyKit.succeed(["tags", "--page-size", "2", "\(stub.host)/team/app"])
        #expect(paged.stdout == "v0\nv1\nv2\nv3\nv4\n")
        #expect(try stub.requests() == ["/v2/team/app/tags/list?n=2", "/v2/team/app/tags/list?n=2&last=v1", "/v2/team/app/tags/list?n=2&last=v3"])
    }

    @Test(arguments: [
        (["tags", "localhost:1/team/app:v1"], Int32(2), "tags takes a repository without a tag or digest"),
        (["tags", "oci:/tmp/layout"], 2, "tags lists a registry repository"),
    ])
    func badInputs(arguments: [String], status: Int32, message: String) throws {
        let result = try CopyKit.samforge(arguments)
        #expect(result.status == status)
        #expect(CopyKit.errorLine(result).contains(message), "\(result.stderr)")
    }

    @Test func unknownRepository() throws {
        let result = try CopyKit.samforge(["tags", "\(TestWorld.plain)/no/such-repository"])
        #expect(result.status == 1)
        #expect(CopyKit.errorLine(result).contains("repository not found"), "\(result.stderr)")
    }
}

/// A python HTTP server that answers `/v2/` and pages `tags/list` by `n` and `last`, with a
/// `Link: <…>; rel="next"` header while tags remain, logging each tags request's path.
final class PaginatingRegistry {
    private let process = Process()
    private let directory: String
    let host: String

    static let script = """
    import http.server, json, sys, urllib.parse
    port_file, log_file, tags = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, status, body=b"", headers={}):
            self.send_response(status)
            for k, v in headers.items(): self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            if url.path == "/v2/": return self.reply(200, b"{}")
            if url.path != "/v2/team/app/tags/list": return self.reply(404)
            with open(log_file, "a") as log: log.write(self.path + "\\n")
            n = int(query.get("n", ["100"])[0]); last = query.get("last", [None])[0]
            start = tags.index(last) + 1 if last else 0
            page = tags[start:start + n]
            headers = {"Content-Type": "application/json"}
            if start + n < len(tags): headers["Link"] = '</v2/team/app/tags/list?n=%d&last=%s>; rel="next"' % (n, page[-1])
            self.reply(200, json.dumps({"name": "team/app", "tags": page}).encode(), headers)
        def log_message(self, *args): pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f: f.write(str(server.server_address[1]))
    import os; os.rename(port_file + ".tmp", port_file)
    server.serve_forever()
    """

    init(tags: [String]) throws {
        directory = try TemporaryDirectory().path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, directory + "/port", directory + "/requests", tags.joined(separator: ",")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var port: String?
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: directory + "/port", encoding: .utf8), !text.isEmpty { port = text; break }
            Thread.sleep(forTimeInterval: 0.025)
        }
        guard let port else {
            kill(process.processIdentifier, SIGKILL)
            throw CocoaError(.fileReadNoSuchFile)
        }
        host = "127.0.0.1:\(port)"
    }

    func requests() throws -> [String] {
        try String(contentsOfFile: directory + "/requests", encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// SIGKILL: a child started from a test thread may inherit a mask that blocks SIGTERM.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
