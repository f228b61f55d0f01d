import ArgumentParser
import Assembly
import Foundation
import OCI
import SAM
import Streams

/// Runs the command line and turns every failure into one line on stderr and an exit code:
/// 2 for usage and invalid input, 1 for runtime failures, 128+N after signal N. No stack traces.
@main
enum Entry {
    static func main() async {
        Interruption.install()
        let command: ParsableCommand
        do {
            command = try Samforge.parseAsRoot()
        } catch {
            let code = Samforge.exitCode(for: error)
            if code == .success { Samforge.exit(withError: error) }  // --help, --version
            FileHandle.standardError.write(Data((Samforge.fullMessage(for: error) + "\n").utf8))
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
                FileHandle.standardError.write(Data("samforge: interrupted by \(name); open uploads were cancelled and no tag was written after it\n".utf8))
                exit(128 + signal)
            }
            FileHandle.standardError.write(Data(("samforge: error: " + oneLine(error) + "\n").utf8))
            exit(ExitStatus.code(for: error))
        }
    }
}

enum ExitStatus {
    static let runtime: Int32 = 1
    static let usage: Int32 = 2

    /// Input the user can fix by changing the command line is a usage error.
    static func code(for error: Error) -> Int32 {
        switch error {
        case is UsageError, is ValidationError, is Reference.ParseError, is ImageLocation.ParseError,
             is Platform.ParseError, is SAMBaseReference.RejectionError, is Digest.ParseError:
            return usage
        default:
            return runtime
        }
    }
}

/// A problem with what the user asked for (exit 2).
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A failure tied to the reference it concerns, rendered "REF: cause" unless the cause
/// already names it.
struct ContextError: Error, CustomStringConvertible {
    let context: String
    let underlying: Error
    var description: String {
        let cause = oneLine(underlying)
        return cause.contains(context) ? cause : "\(context): \(cause)"
    }
}

/// Every error as exactly one line.
func oneLine(_ error: Error) -> String {
    // String(describing:) uses an error's description when it has one.
    let text = String(describing: error)
    let joined = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    // Whatever an error quotes (a registry's message, a name from a layer) reaches no terminal raw.
    return escapedForMessage(joined)
}

func withContext<T>(_ context: String, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let error where ExitStatus.code(for: error) == ExitStatus.runtime && !(error is ContextError) {
        throw ContextError(context: context, underlying: error)
    }
}
