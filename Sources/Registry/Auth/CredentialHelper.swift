import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Streams

/// Runs `docker-credential-NAME ACTION` with `input` on stdin (the helper protocol of
/// docker-credential-helpers): `get` answers JSON, `store` and `erase` answer nothing.
///
/// A helper is another program, trusted to answer but not to behave: it runs in a process
/// group of its own, with default signal dispositions; at most `outputLimit` bytes of its
/// answer are read and it gets `timeout` seconds. Past either bound, or when samforge is
/// interrupted, its whole group is killed (SIGKILL) and reaped before samforge goes on.
enum CredentialHelper {
    static let outputLimit = 1 << 20
    static let defaultTimeout: Double = 30

    struct Outcome {
        var status: Int32
        var output: Data
    }

    /// `environment` nil: samforge's own (PATH finds the helper).
    @discardableResult
    static func run(_ name: String, _ action: String, input: Data, host: String, timeout: Double = defaultTimeout,
                    environment: [String: String]? = nil) throws -> Outcome {
        let program = "docker-credential-\(name)"
        guard !name.isEmpty, !name.contains("/") else {
            throw CredentialError(message: "invalid credential helper name \"\(name)\" for \(host) in the docker config")
        }
        let child = try spawn(program, [action], environment: environment, host: host)
        defer { child.closeAll() }
        writeIgnoringBrokenPipe(input, to: child.stdin)
        child.closeStdin()
        let deadline = Date().addingTimeInterval(timeout)
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        // Read until end of output, polling in slices so a deadline or a signal is noticed.
        while true {
            try check(child, deadline: deadline, program: program, host: host, timeout: timeout)
            var descriptor = pollfd(fd: child.stdout, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 100)
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(child.stdout, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output.append(contentsOf: buffer[0..<count])
            if output.count > outputLimit {
                child.kill()
                throw CredentialError(message: "credential helper \(program) printed more than 1 MiB for \(host); it was stopped")
            }
        }
        // The output ended; the helper must still exit in time.
        while true {
            if let status = child.reap(wait: false) {
                if action != "get", status != 0 {
                    throw CredentialError(message: "credential helper \(program) could not \(action) credentials for \(host)")
                }
                return Outcome(status: status, output: output)
            }
            try check(child, deadline: deadline, program: program, host: host, timeout: timeout)
            usleep(20_000)
        }
    }

    private static func check(_ child: Child, deadline: Date, program: String, host: String, timeout: Double) throws {
        if let signal = Interruption.signal {
            child.kill()
            throw InterruptedError(signal: signal)
        }
        if Date() >= deadline {
            child.kill()
            throw CredentialError(message: "credential helper \(program) did not answer within \(Int(timeout)) s for \(host); it was stopped")
        }
    }

    /// posix_spawn into a new process group, stdin and stdout piped, stderr discarded.
    private static func spawn(_ program: String, _ arguments: [String], environment: [String: String]?, host: String) throws -> Child {
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1]
        guard pipe(&input) == 0 else { throw CredentialError(message: "cannot run \(program) for \(host): no pipe") }
        guard pipe(&output) == 0 else {
            close(input[0]); close(input[1])
            throw CredentialError(message: "cannot run \(program) for \(host): no pipe")
        }
        // Close-on-exec, so a helper (or another child) never inherits the other ends.
        for descriptor in input + output { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // samforge ignores SIGINT/SIGTERM (it handles them itself) and blocks some on threads:
        // the helper gets the defaults, so it can be stopped as any program can.
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let env = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { (argv + (env ?? [])).forEach { free($0) } }
        var pid: pid_t = 0
        // Looked up on the PATH of the environment it runs with (posix_spawnp would use ours).
        let search = (environment ?? ProcessInfo.processInfo.environment)["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let candidates: [String] = search.split(separator: ":").map { directory in "\(directory)/\(program)" }
        let executable = candidates.first { path in access(path, X_OK) == 0 }
        var result = ENOENT
        // ETXTBSY: a file just written may still be open in a child another thread forked.
        for attempt in 0..<10 where executable != nil && (attempt == 0 || result == ETXTBSY) {
            if attempt > 0 { usleep(50_000) }
            if let env {
                result = posix_spawn(&pid, executable!, &actions, &attributes, argv, env)
            } else {
                result = posix_spawn(&pid, executable!, &actions, &attributes, argv, environ)
            }
        }
        close(input[0])
        close(output[1])
        guard result == 0 else {
            close(input[1]); close(output[0])
            throw CredentialError(message: "cannot run credential helper \(program) for \(host)"
                                  + (result == ENOENT ? " (not installed or not on PATH)" : ": \(String(cString: strerror(result)))"),
                                  isMissingHelper: result == ENOENT)
        }
        return Child(pid: pid, stdin: input[1], stdout: output[0])
    }

    /// A helper that exits without reading its stdin must not kill samforge with SIGPIPE:
    /// the signal is blocked on this thread for the write, and a pending one is consumed.
    private static func writeIgnoringBrokenPipe(_ data: Data, to descriptor: Int32) {
        var pipeSignal = sigset_t(), previous = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        defer {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var immediately = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipeSignal, nil, &immediately)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

/// A running helper: its pipes and its process group (the helper leads it).
private final class Child {
    let pid: pid_t
    private(set) var stdin: Int32
    let stdout: Int32
    private var reaped = false

    init(pid: pid_t, stdin: Int32, stdout: Int32) {
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
    }

    func closeStdin() {
        if stdin >= 0 { close(stdin) }
        stdin = -1
    }

    /// The exit status (128+N after signal N) once it has exited; nil while it runs.
    func reap(wait: Bool) -> Int32? {
        guard !reaped else { return nil }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, wait ? 0 : WNOHANG) } while result < 0 && errno == EINTR
        guard result == pid else { return nil }
        reaped = true
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// SIGKILL to the whole group (whatever the helper started too), then reaped.
    func kill() {
        guard !reaped else { return }
        Glibc.kill(-pid, SIGKILL)
        _ = reap(wait: true)
    }

    func closeAll() {
        closeStdin()
        close(stdout)
        // Never leave a helper behind, whatever path got here.
        if !reaped {
            Glibc.kill(-pid, SIGKILL)
            _ = reap(wait: true)
        }
    }
}
