import ArgumentParser

struct TagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tags", abstract: "(not implemented yet)")
    func run() async throws { throw UsageError("tags: not implemented yet") }
}
