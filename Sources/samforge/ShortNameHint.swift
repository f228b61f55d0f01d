import ArgumentParser
import Assembly
import OCI
import SAM

/// `alpine`, `myapp:1`: a name without a registry is Docker Hub's (as docker reads it). When the
/// command fails on such a name, the message says so and what to type for the image people
/// usually mean: one in another registry, or one in a local docker (samforge has no daemon).
enum ShortNameHint {
    /// Options whose values are images.
    static let imageOptions: Set<String> = ["--sam-base-image", "--plugin-image", "--docker-cli-image", "--copy-from", "--target-repo"]

    /// The hint for `message`, when it names an argument of `command` (its arguments after the
    /// command names) that was a Docker Hub short name.
    static func hint(for message: String, arguments: [String], command: ParsableCommand.Type) -> String? {
        let candidates = images(in: arguments, command: command).compactMap(shortName)
        let named = candidates.first { message.contains($0.1.repositoryName) }
            ?? (candidates.count == 1 && message.contains(candidates[0].1.host) ? candidates[0] : nil)
        guard let (written, reference) = named else { return nil }
        let repository = reference.repository.hasPrefix("library/") ? String(reference.repository.dropFirst(8)) : reference.repository
        let shown = repository + (reference.tag.map { ":" + $0 } ?? "")
        let file = (repository.split(separator: "/").last.map(String.init) ?? repository) + ".tar"
        return "\"\(escapedForMessage(written))\" is Docker Hub's \(reference); for another registry write HOST[:PORT]/\(escapedForMessage(shown)), for an image in a local docker run docker save -o \(escapedForMessage(file)) \(escapedForMessage(written)) and use docker-archive:\(escapedForMessage(file))"
    }

    /// The positional arguments and the values of image options.
    static func images(in arguments: [String], command: ParsableCommand.Type) -> [String] {
        let valued = Set(CommandCatalog.options(of: command).filter(\.takesValue).map(\.name))
        var images: [String] = []
        var rest = arguments[...]
        while let word = rest.popFirst() {
            if word == "--" { images += rest; break }
            guard word.hasPrefix("-") else { images.append(word); continue }
            let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            let value = word.contains("=") ? word.split(separator: "=", maxSplits: 1).last.map(String.init) : (valued.contains(name) ? rest.popFirst() : nil)
            guard let value, imageOptions.contains(name) else { continue }
            // --copy-from IMAGE:/SRC[:/DEST]: the image ends at the first ":/".
            images.append(name == "--copy-from" ? value.range(of: ":/").map { String(value[..<$0.lowerBound]) } ?? value : value)
        }
        return images
    }

    /// An argument that is a registry reference without a registry host (`alpine:3.20`), with
    /// its reading.
    static func shortName(_ text: String) -> (String, Reference)? {
        guard !text.contains("://"), case .registry(let reference)? = try? ImageLocation(parsing: text),
              reference.registry == Reference.dockerHub else { return nil }
        let first = text.split(separator: "/").first.map(String.init) ?? text
        // Written with a host (docker.io/…, index.docker.io/…): the user meant Docker Hub.
        guard !(first.contains(".") || first.contains(":") || first == "localhost") || !text.contains("/") else { return nil }
        return (text, reference)
    }
}

/// `build` reads two inputs nobody has to name: the docker CLI image (Docker Hub) and the
/// go-template download (app.harness.io). Where they cannot be reached (an air-gapped
/// network, a pull limit), the failure says they were the defaults and how to replace them.
enum DefaultInputHint {
    static func hint(for message: String, arguments: [String], command: ParsableCommand.Type) -> String? {
        guard command == BuildCommand.self else { return nil }
        let given = Set(arguments.map { String($0.split(separator: "=", maxSplits: 1).first ?? "") })
        if message.contains(SAMRecipe.defaultDockerCLIImage) || message.hasPrefix("docker CLI image: "), given.isDisjoint(with: ["--docker-cli-image", "--docker-cli-file", "--no-docker-cli"]) {
            return "\(SAMRecipe.defaultDockerCLIImage) is the default docker CLI image: name a copy with --docker-cli-image REF or --docker-cli-file PATH|URL, or leave it out with --no-docker-cli"
        }
        if message.contains(SAMRecipe.defaultGoTemplateURL) || message.hasPrefix("go-template: "), given.isDisjoint(with: ["--go-template", "--no-go-template"]) {
            return "that is the default go-template download: name a copy with --go-template URL|PATH, or leave it out with --no-go-template"
        }
        return nil
    }
}
