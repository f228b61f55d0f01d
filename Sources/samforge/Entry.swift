import ArgumentParser
import Assembly
import CSystem
import Foundation
import OCI
import Pipelines
import SAM
import Streams

/// Runs the command line and turns every failure into one line on stderr and an exit code:
/// 2 for usage and invalid input, 1 for runtime failures, 128+N after signal N. No stack traces.
@main
enum Entry {
    static func main() async {
        requireProc()
        limitMallocArenas()
        Interruption.install()
        // Plugin mode (a Harness/Drone plugin step): no arguments, settings in PLUGIN_*.
        let plugin: PluginMode.Invocation?
        do {
            plugin = try PluginMode.invocation(arguments: Array(processArguments().dropFirst()),
                                               environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data(("samforge: error: " + oneLine(error) + "\n").utf8))
            exit(ExitStatus.usage)
        }
        for warning in plugin?.warnings ?? [] { Output.warning(warning) }
        if plugin != nil { PluginMode.exportSigningPassword() }
        await PluginCredentials.$current.withValue(plugin?.credentials) {
            await run(arguments: plugin.map { ["build"] + $0.arguments }, plugin: plugin)
        }
    }

    /// Parses `arguments` (nil: the process's own) and runs the command; exits on failure.
    static func run(arguments: [String]?, plugin: PluginMode.Invocation?) async {
        let given = arguments ?? Array(processArguments().dropFirst())
        let shape: ArgumentShape
        do {
            shape = plugin == nil ? try ArgumentShape(given) : ArgumentShape(plain: given)
        } catch {
            FileHandle.standardError.write(Data(("samforge: error: " + oneLine(error) + "\n").utf8))
            exit(ExitStatus.usage)
        }
        if shape.wantsVersion {
            Output.line(VersionCommand.current)
            exit(0)
        }
        let command: ParsableCommand
        do {
            command = try Samforge.parseAsRoot(shape.arguments)
        } catch {
            let code = Samforge.exitCode(for: error)
            if code == .success { Samforge.exit(withError: error) }  // --help, completion scripts
            let message = plugin.map { "samforge: error: plugin settings: " + $0.reword(Samforge.message(for: error)) }
                ?? ArgumentErrors.line(for: error, path: shape.path)
            FileHandle.standardError.write(Data((ArgumentSecrets.redacted(message, arguments: given) + "\n").utf8))
            exit(ExitStatus.usage)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            if Samforge.exitCode(for: error) == .success { Samforge.exit(withError: error) }
            if let signal = Interruption.signal {
                // Whatever error the abort surfaced as, the cause is the signal.
                let name = InterruptedError(signal: signal).name
                FileHandle.standardError.write(Data("samforge: interrupted by \(name); nothing was named after it (open uploads cancelled, a layout or archive it started removed)\n".utf8))
                exit(128 + signal)
            }
            var line = plugin.map { $0.reword(oneLine(error)) } ?? oneLine(error)
            if let hint = ShortNameHint.hint(for: line, arguments: Array(shape.arguments.dropFirst(shape.path.count)),
                                             command: type(of: command)) {
                line += " (\(hint))"
            }
            if let hint = DefaultInputHint.hint(for: line, arguments: Array(shape.arguments.dropFirst(shape.path.count)),
                                                command: type(of: command)) {
                line += " (\(plugin.map { $0.reword(hint) } ?? hint))"
            }
            FileHandle.standardError.write(Data(("samforge: error: " + ArgumentSecrets.redacted(line, arguments: given) + "\n").utf8))
            exit(ExitStatus.code(for: error))
        }
    }
}

/// Without /proc (a bare chroot), samforge stops with one line before any work. Its arguments
/// need no /proc (processArguments), but Swift's concurrency runs on libdispatch's thread
/// pool, whose monitor reads /proc/TID/stat every second and aborts the process (SIGILL, no
/// message) when it cannot: a command could die at any moment, a push half done.
func requireProc() {
    guard access("/proc/self/stat", R_OK) != 0 else { return }
    let command = processArguments().dropFirst().first { !$0.hasPrefix("-") }.map { " " + $0 } ?? ""
    FileHandle.standardError.write(Data(("samforge: error: samforge\(command) needs /proc, which is not mounted here: the Swift runtime's thread pool (libdispatch) reads /proc/TID/stat and aborts without it; mount it (mount -t proc proc /proc) or run where the container runtime provides it\n").utf8))
    exit(ExitStatus.runtime)
}

/// The process's arguments as glibc gave them to main, captured by CSystem's constructor:
/// Swift's CommandLine reads /proc/self/cmdline on Linux, and without /proc (a bare chroot, a
/// debug container) it would see none, and every command would print the root help.
func processArguments() -> [String] {
    let count = Int(csystem_argc())
    guard count > 0, let argv = csystem_argv() else { return CommandLine.arguments }
    return (0..<count).map { argv[$0].map { String(cString: $0) } ?? "" }
}

enum ExitStatus {
    static let runtime: Int32 = 1
    static let usage: Int32 = 2

    /// Input the user can fix by changing the command line is a usage error; every module's
    /// error says which kind it is.
    static func code(for error: Error) -> Int32 {
        if error is ValidationError { return usage }
        return errorKind(of: error) == .usage ? usage : runtime
    }
}

/// A problem with what the user asked for (exit 2).
struct UsageError: KindedError {
    let message: String
    init(_ message: String) { self.message = message }
    var kind: ErrorKind { .usage }
    var description: String { message }
}

/// Every error as exactly one line.
func oneLine(_ error: Error) -> String {
    // String(describing:) uses an error's description when it has one.
    let text = String(describing: error)
    let joined = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    // Whatever an error quotes (a registry's message, a name from a layer) reaches no terminal raw.
    return plainPunctuation(escapedForMessage(joined))
}
