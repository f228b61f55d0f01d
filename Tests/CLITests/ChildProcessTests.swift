import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The test harness's own child processes: they must not inherit what other test threads hold
/// open, or a script one test writes cannot run while another test's child lives (ETXTBSY).
@Suite("test harness: child processes")
struct ChildProcessTests {
    @Test func aChildInheritsNoDescriptorBeyondItsThree() throws {
        let directory = try TemporaryDirectory().path
        // Opened as Foundation's atomic write opens its temporary: writable, without O_CLOEXEC.
        let held = open(directory + "/held", O_WRONLY | O_CREAT, 0o644)
        #expect(held > 2)
        defer { close(held) }
        let result = try Command.run("/bin/sh", ["-c", "ls /proc/$$/fd"])
        #expect(result.status == 0, "\(result.stderr)")
        let descriptors = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        #expect(!descriptors.contains(held), "\(descriptors)")
        #expect(descriptors.allSatisfy { $0 <= 2 || $0 == 10 || $0 == 255 }, "\(descriptors)")
    }
}
