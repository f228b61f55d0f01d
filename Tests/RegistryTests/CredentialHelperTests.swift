import Foundation
import Testing
import TestSupport
@testable import Registry

/// Credential helpers are other programs: stubs that answer, print without end, never answer
/// or ignore SIGTERM. Each bound ends with one clear error and no helper left running.
@Suite("Credential helpers are bounded")
struct CredentialHelperTests {
    /// A directory holding `docker-credential-NAME` scripts; each records its pid (and that of
    /// a child it starts) so a test can check that nothing is left running.
    struct Stubs {
        let directory: String
        init() throws { directory = try TemporaryDirectory().path }

        func add(_ name: String, _ body: String) throws {
            let path = "\(directory)/docker-credential-\(name)"
            try Executable.write("#!/bin/sh\necho $$ > \(directory)/\(name).pid\n\(body)\n", to: path)
        }

        var environment: [String: String] {
            ["PATH": "\(directory):/usr/bin:/bin"]
        }

        func pids(_ name: String) -> [pid_t] {
            ["pid", "child"].compactMap { suffix in
                (try? String(contentsOfFile: "\(directory)/\(name).\(suffix)", encoding: .utf8))
                    .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }
    }


    @Test func answeringHelper() throws {
        let stubs = try Stubs()
        try stubs.add("good", #"read host; printf '{"ServerURL":"%s","Username":"u","Secret":"s3cret"}' "$host""#)
        let outcome = try CredentialHelper.run("good", "get", input: Data("r.test".utf8), host: "r.test", environment: stubs.environment)
        #expect(outcome.status == 0)
        #expect(String(decoding: outcome.output, as: UTF8.self).contains(#""Secret":"s3cret""#))
    }

    @Test(arguments: [
        ("endless", "exec yes 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'", "printed more than 1 MiB"),
        ("silent", "sleep 1000 & echo $! > $DIR/silent.child; wait", "did not answer within 1 s"),
        ("stubborn", "trap '' TERM; sleep 1000 & echo $! > $DIR/stubborn.child; wait; sleep 1000", "did not answer within 1 s"),
        ("lingering", "echo '{}'; exec >&-; sleep 1000 & echo $! > $DIR/lingering.child; wait", "did not answer within 1 s"),
    ])
    func misbehavingHelperIsStopped(name: String, body: String, message: String) throws {
        let stubs = try Stubs()
        try stubs.add(name, "DIR=\(stubs.directory)\n" + body)
        #expect {
            try CredentialHelper.run(name, "get", input: Data("r.test".utf8), host: "r.test", timeout: 1, environment: stubs.environment)
        } throws: { error in
            "\(error)" == "credential helper docker-credential-\(name) \(message) for r.test; it was stopped"
        }
        let pids = stubs.pids(name)
        #expect(!pids.isEmpty)
        for pid in pids { #expect(!ProcessProbe.isRunning(pid), "helper process \(pid) still running") }
    }

    @Test(arguments: ["", "../../bin/sh", "a/b"])
    func helperNamesArePlainNames(_ name: String) {
        #expect(throws: CredentialError.self) {
            try CredentialHelper.run(name, "get", input: Data(), host: "r.test", timeout: 1)
        }
    }

    @Test func missingHelper() {
        #expect {
            try CredentialHelper.run("samforge-test-none", "get", input: Data(), host: "r.test", timeout: 1, environment: ["PATH": "/nonexistent"])
        } throws: { error in
            (error as? CredentialError)?.isMissingHelper == true && "\(error)".contains("not installed or not on PATH")
        }
    }
}
