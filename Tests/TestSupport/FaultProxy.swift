import Foundation

/// Control of a scripts/fault-proxy.py instance (the one in front of the plain registry by
/// default; `TestWorld.faultProxy` is the one in front of the token registry): arm a fault for requests whose path contains `match`, read what it recorded.
public struct FaultProxy: Sendable {
    public let address: String

    public init(address: String = TestWorld.plainProxy) { self.address = address }

    public struct ControlError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// `POST /__fault/KIND?match=…&count=…&extra…`.
    public func arm(_ kind: String, match: String, count: Int = 1, _ parameters: [String: String] = [:]) throws {
        var query = ["match": match, "count": String(count)]
        query.merge(parameters) { _, new in new }
        let encoded = query.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }
            .joined(separator: "&")
        let result = try Command.run("/usr/bin/curl", ["-fsS", "--max-time", "30", "-X", "POST", "http://\(address)/__fault/\(kind)?\(encoded)"])
        guard result.status == 0 else { throw ControlError(description: "arming \(kind) at \(address): \(result.stderr)") }
    }

    static func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }

    /// The proxy's counters (requests, faults, tag pages, redirects with and without credentials).
    public func stats() throws -> [String: Int] {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "--max-time", "30", "http://\(address)/__stats"])
        return try JSONDecoder().decode([String: Int].self, from: Data(result.stdout.utf8))
    }

    /// Disarms every fault and zeroes the counters.
    public func reset() throws {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "--max-time", "30", "-X", "POST", "http://\(address)/__reset"])
        guard result.status == 0 else { throw ControlError(description: "resetting \(address): \(result.stderr)") }
    }

    /// Paths of every PUT the proxy has seen (forwarded or faulted).
    public func puts(matching match: String = "") throws -> [String] {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "--max-time", "30", "http://\(address)/__puts?match=\(Self.encoded(match))"])
        return try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
    }

    /// `METHOD path` of every request the proxy has seen.
    public func requests(matching match: String = "") throws -> [String] {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "--max-time", "30", "http://\(address)/__log?match=\(Self.encoded(match))"])
        return try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
    }

    /// From now on a fraction `rate` of all requests fail (seeded: see fault-proxy.py).
    public func chaos(seed: UInt64, rate: Double) throws {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "--max-time", "30", "-X", "POST", "http://\(address)/__fault/chaos?seed=\(seed)&rate=\(rate)"])
        guard result.status == 0 else { throw ControlError(description: "arming chaos at \(address): \(result.stderr)") }
    }

    /// Arms a personality: from now on the proxy answers as that registry would (see
    /// scripts/fault_personality.py), until `reset()`; several combine.
    public func personality(_ name: String, _ parameters: [String: String] = [:]) throws {
        let query = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.encoded($0.value))" }.joined(separator: "&")
        let result = try Command.run("/usr/bin/curl", ["-fsS", "--max-time", "30", "-X", "POST", "http://\(address)/__personality/\(name)?\(query)"])
        guard result.status == 0 else { throw ControlError(description: "arming \(name) at \(address): \(result.stderr)") }
    }

    /// What the personalities recorded: `armed`, `mount_sessions`, `token_scopes` (each
    /// `{scopes, credentials, time}`), `patch_sizes` (per upload session), `arrivals` (every
    /// request's arrival time, seconds).
    public func personalityRecord() throws -> [String: Any] {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "--max-time", "30", "http://\(address)/__personality"])
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw ControlError(description: "unreadable personality record from \(address): \(result.stdout.prefix(200))")
        }
        return object
    }

    /// Paths of the uploads a `stall` fault has held so far.
    public func stalledUploads(matching match: String) throws -> [String] {
        let result = try Command.run("/usr/bin/curl", ["-fsS", "--max-time", "30", "http://\(address)/__stalled?match=\(match)"])
        return try JSONDecoder().decode([String].self, from: Data(result.stdout.utf8))
    }
}

/// A fault proxy of a test's own, in front of `upstream`: no other suite arms, resets or counts
/// it. It ends with `stop()`, or by itself when the test process is gone.
public final class PrivateFaultProxy: @unchecked Sendable {
    public let proxy: FaultProxy
    private let process: ChildProcess
    public var address: String { proxy.address }

    public init(upstream: String) throws {
        let directory = try TemporaryDirectory().path
        let portFile = directory + "/port"
        let port: String
        (process, port) = try launchListener(["python3", Self.script, "--port", "0", "--port-file", portFile, "--upstream", upstream,
                                              "--parent-pid", String(getpid())], portFile: portFile, what: "fault proxy for \(upstream)")
        proxy = FaultProxy(address: "127.0.0.1:\(port)")
    }

    deinit { stop() }

    public func stop() {
        process.signal(SIGTERM)
        process.wait(timeout: 5)
    }

    /// scripts/fault-proxy.py of this checkout.
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/fault-proxy.py").path
    }
}

/// A server that accepts connections and never answers (nor closes them): what a registry
/// behind a broken load balancer looks like. Ends with `stop()` or with the test process.
public final class SilentServer: @unchecked Sendable {
    private let process: ChildProcess
    public let address: String

    public init() throws {
        let portFile = try TemporaryDirectory().path + "/port"
        let program = """
        import os, socket, sys, threading, time
        server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(64)
        open(sys.argv[1] + ".tmp", "w").write(str(server.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        parent = int(sys.argv[2])
        def watch():
            while True:
                time.sleep(1)
                try: os.kill(parent, 0)
                except ProcessLookupError: os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
        held = []
        while True:
            connection, _ = server.accept(); held.append(connection)
        """
        let port: String
        (process, port) = try launchListener(["python3", "-c", program, portFile, String(getpid())], portFile: portFile, what: "silent server")
        address = "127.0.0.1:\(port)"
    }

    deinit { stop() }

    public func stop() {
        process.signal(SIGTERM)
        process.wait(timeout: 5)
    }
}

/// Starts a test listener (`/usr/bin/env ARGUMENTS`) that writes the port it bound to
/// `portFile`, and waits (up to 5 s) for that port.
func launchListener(_ arguments: [String], portFile: String, what: String) throws -> (ChildProcess, String) {
    let process = try ChildProcess(["/usr/bin/env"] + arguments)
    for _ in 0..<200 {
        if let text = try? String(contentsOfFile: portFile, encoding: .utf8), !text.isEmpty { return (process, text) }
        usleep(25_000)
    }
    process.signal(SIGTERM)
    process.wait(timeout: 5)
    throw FaultProxy.ControlError(description: "\(what) did not start")
}
