import ArgumentParser

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "(not implemented yet)")
    func run() async throws { throw UsageError("build: not implemented yet") }
}
