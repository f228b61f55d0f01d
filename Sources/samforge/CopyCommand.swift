import ArgumentParser

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "copy", abstract: "(not implemented yet)")
    func run() async throws { throw UsageError("copy: not implemented yet") }
}
