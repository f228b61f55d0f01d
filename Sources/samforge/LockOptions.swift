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

    /// The lock file as it is before the run (nil without --lock, or when it does not exist).
    func load() throws -> InputLockFile? {
        guard let file else { return nil }
        return try InputLockFile.read(file)
    }

    /// The run's pins: the file's (unless --update-lock re-resolves everything).
    func open(_ existing: InputLockFile?) -> InputLock? {
        guard file != nil else { return nil }
        return InputLock(pins: update ? nil : existing, warn: { Output.warning($0) })
    }

    /// After the publications, for those that succeeded only: their inputs merged into the
    /// file as it was (never shrunk); not written at all when nothing changed, so a re-run, or
    /// a run whose every publication failed, leaves it byte for byte.
    func save(existing: InputLockFile?, merging inputs: [ResolvedInput]) throws {
        guard let file, !inputs.isEmpty else { return }
        let base = existing ?? InputLockFile()
        let merged = base.merging(inputs)
        guard merged != base || existing == nil else { return }
        try merged.write(to: file)
    }
}
