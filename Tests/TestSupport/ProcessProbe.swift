import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ProcessProbe {
    /// Whether `pid` still runs a moment after it was killed (SIGKILL reaches a grandchild
    /// asynchronously: up to 5 s is allowed for it to go). A zombie counts as gone.
    public static func isRunning(_ pid: pid_t) -> Bool {
        for _ in 0..<100 {
            guard kill(pid, 0) == 0 else { return false }
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            if stat.contains(") Z ") { return false }
            usleep(50_000)
        }
        return true
    }
}
