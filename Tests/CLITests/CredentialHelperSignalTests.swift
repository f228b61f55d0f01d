import Foundation
import Testing
import TestSupport

/// A credential helper that never answers must not keep samforge alive: on SIGTERM or SIGINT
/// samforge stops the helper's whole process group and exits at once (128+N).
@Suite("Credential helpers and signals", .enabled(if: TestWorld.available))
struct CredentialHelperSignalTests {

    @Test(arguments: [(SIGTERM, "trap - TERM"), (SIGINT, "trap - INT"), (SIGTERM, "trap '' TERM INT")])
    func interruptedWhileAHelperRuns(signal: Int32, trap: String) throws {
        let directory = try TemporaryDirectory().path
        let helper = "\(directory)/docker-credential-hang"
        try Executable.write("""
        #!/bin/sh
        \(trap)
        sleep 1000 &
        echo $! > \(directory)/child
        echo $$ > \(directory)/pid
        wait
        sleep 1000
        """, to: helper)
        try "{\"credHelpers\":{\"\(TestWorld.token)\":\"hang\"}}".write(toFile: "\(directory)/config.json", atomically: true, encoding: .utf8)

        let path = "\(directory):" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let process = try Command.startSamforge(["tags", "\(TestWorld.token)/sam/build-nodejs18.x"],
                                                environment: ["DOCKER_CONFIG": directory, "PATH": path])

        // Until the helper runs (it wrote its pid), then the signal.
        var pids: [pid_t] = []
        for _ in 0..<400 where pids.count < 2 {
            usleep(25_000)
            pids = ["pid", "child"].compactMap { name in
                (try? String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }
        try #require(pids.count == 2, "the helper never started")
        process.signal(signal)
        // A bound on the wait, not a timing assertion: a samforge still waiting on the helper
        // would stay alive for its 30 s timeout.
        let result = process.finish(timeout: 10)
        #expect(!result.timedOut, "samforge did not exit after signal \(signal)")
        #expect(result.status == 128 + signal)
        let stderr = result.stderr
        #expect(stderr.contains("samforge: interrupted by"), "\(stderr)")
        for pid in pids { #expect(!ProcessProbe.isRunning(pid), "helper process \(pid) still running") }
        for pid in pids where ProcessProbe.isRunning(pid) { kill(pid, SIGKILL) }
    }
}
