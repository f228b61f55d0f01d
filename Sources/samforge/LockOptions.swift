import ArgumentParser
import Build
import Streams

/// `--lock FILE` and `--update-lock`, for `build` and `append`.
struct LockOptions: ParsableArguments {
    @Option(name: .customLong("lock"), help: ArgumentHelp("Pin every input to FILE: written with each input's digest when missing; when present, inputs are taken at those digests (--update-lock re-resolves).", valueName: "FILE"))
    var file: String?
    @Flag(name: .customLong("update-lock"), help: "Re-resolve every input and rewrite the --lock file.")
    var update = false

    /// Before any transfer: the file must be writable (it is written at the end).
    func check() throws {
        if update && file == nil { throw UsageError("--update-lock needs --lock FILE") }
        // Written next to itself and renamed over (an atomic write).
        if let file { try OutputPath.checkWritable(file, what: "--lock", write: .replace) }
    }

    /// The run's lock: the file's pins (unless --update-lock), or nothing to pin yet.
    func open() throws -> InputLock? {
        guard let file else { return nil }
        let pins = update ? nil : try InputLockFile.read(file)
        return InputLock(pins: pins, warn: { Output.warning($0) })
    }

    /// Writes every input the run used (after success only: a failed run leaves the file).
    func save(_ lock: InputLock?) throws {
        guard let file, let lock else { return }
        try lock.file.write(to: file)
    }
}
