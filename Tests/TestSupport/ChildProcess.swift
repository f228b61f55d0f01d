import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One child process, started with posix_spawn and reaped with waitpid under a deadline.
/// Foundation's Process is not used for the commands tests run: its exit is learnt through a
/// SIGCHLD handler and a run loop, and a hung or missed exit there hangs the whole test run with
/// no word; here a child that outlives its deadline is killed (with its process group) and the
/// test fails with a line saying so.
public final class ChildProcess: @unchecked Sendable {
    public struct Exit: Sendable {
        /// The exit status, or 128+N after signal N.
        public var status: Int32
        public var timedOut: Bool
    }

    /// How long a command may run before it is killed: SAMFORGE_TEST_COMMAND_TIMEOUT seconds,
    /// else 600 (the slowest command in the suite takes well under a minute).
    public static var defaultDeadline: TimeInterval {
        ProcessInfo.processInfo.environment["SAMFORGE_TEST_COMMAND_TIMEOUT"].flatMap(TimeInterval.init) ?? 600
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module does
    /// not import. Tests run in parallel threads, and a descriptor another thread holds open
    /// (Foundation writes a file through a temporary it opens without O_CLOEXEC) would otherwise
    /// live on in every child started meanwhile: a script written that way then fails to run
    /// with ETXTBSY while any such child lives.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self)
    }()

    public let pid: pid_t
    private var exit: Exit?

    /// Starts `argv` (argv[0] a path) with stdin, stdout and stderr opened from the given paths,
    /// in its own process group, with default signal dispositions and an empty signal mask
    /// whatever the test process set for itself.
    public init(_ argv: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                workingDirectory: String? = nil, stdin: String = "/dev/null",
                stdout: String = "/dev/null", stderr: String = "/dev/null") throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_TRUNC, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_TRUNC, 0)
        Self.closeFrom?(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var everything = sigset_t(), nothing = sigset_t()
        sigfillset(&everything)
        sigemptyset(&nothing)
        posix_spawnattr_setsigdefault(&attributes, &everything)
        posix_spawnattr_setsigmask(&attributes, &nothing)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        // posix_spawn_file_actions_addchdir_np is not visible to Swift: sh changes directory.
        let argv = workingDirectory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0] + argv } ?? argv
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        self.pid = pid
    }

    /// Whatever happens to the test, the child does not outlive it.
    deinit { if exit == nil { kill(-pid, SIGKILL); _ = wait(timeout: 10) } }

    /// Runs `argv` to its end, or kills it after `timeout` seconds.
    public static func run(_ argv: [String], environment: [String: String], workingDirectory: String? = nil,
                           stdin: String = "/dev/null", stdout: String, stderr: String,
                           timeout: TimeInterval = defaultDeadline) throws -> Exit {
        try ChildProcess(argv, environment: environment, workingDirectory: workingDirectory,
                         stdin: stdin, stdout: stdout, stderr: stderr).wait(timeout: timeout)
    }

    public var isRunning: Bool { reap(blocking: false) == nil }

    public func signal(_ number: Int32) { if exit == nil { kill(pid, number) } }

    /// Waits for the exit; after `timeout` seconds the process group is killed (`timedOut`).
    /// Polls, 1 ms rising to 20 ms, so the deadline holds without a second thread.
    @discardableResult
    public func wait(timeout: TimeInterval = defaultDeadline) -> Exit {
        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 1_000
        while true {
            if let exit = reap(blocking: false) { return exit }
            if Date() >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                var killed = reap(blocking: true) ?? Exit(status: 137, timedOut: true)
                killed.timedOut = true
                exit = killed
                return killed
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }

    private func reap(blocking: Bool) -> Exit? {
        if let exit { return exit }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while result < 0 && errno == EINTR
        guard result == pid else { return nil }
        // WEXITSTATUS / WTERMSIG, spelled out: the macros do not import into Swift.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        exit = Exit(status: code, timedOut: false)
        return exit
    }
}
