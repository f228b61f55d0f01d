import Assembly
import Build
import Foundation
import OCI

/// `append`'s operation flags, parsed into plan operations before any traffic (exit 2 on a
/// malformed one).
enum AppendArguments {
    /// `SRC:/DEST[:MODE]`, SRC a local file or directory or an http(s) URL: DEST starts at the last `:/`.
    static func file(_ text: String) throws -> ImagePlan.FileCopy {
        guard let split = text.range(of: ":/", options: .backwards), split.lowerBound != text.startIndex else {
            throw UsageError("--file \(text): expected SRC:/DEST[:MODE] (SRC a file, a directory or an http(s) URL; DEST absolute)")
        }
        let source = String(text[..<split.lowerBound])
        let (destination, mode) = try pathAndMode(String(text[text.index(after: split.lowerBound)...]), option: "--file", text: text)
        let input: FileInput
        do { input = try FileInput(parsing: source, option: "--file", directories: true) } catch { throw UsageError(error.description) }
        return ImagePlan.FileCopy(input, to: destination, mode: mode, role: "--file \(input)")
    }

    /// `/PATH[:MODE]`: an empty directory, root-owned, mode 0755 unless given.
    static func directory(_ text: String) throws -> ImagePlan.Operation {
        guard text.hasPrefix("/") else { throw UsageError("--dir \(text): expected /PATH[:MODE] (an absolute path)") }
        let (path, mode) = try pathAndMode(text, option: "--dir", text: text)
        return .directory(path, mode: mode ?? 0o755)
    }

    /// `IMAGE:/SRC[:/DEST]`, IMAGE any location: a reference never holds `:/`, and a layout's or
    /// archive's path ends at its first `:`, so the first `:/` after that ends IMAGE.
    static func copy(_ text: String) throws -> ImagePlan.ImageCopy {
        var searchFrom = text.startIndex
        // `docker://HOST/REPO:TAG:/src`: the scheme's own ":/" does not end IMAGE.
        if text.lowercased().hasPrefix("docker://") { searchFrom = text.index(text.startIndex, offsetBy: "docker://".count) }
        for prefix in ["oci:", "docker-archive:"] where text.hasPrefix(prefix) {
            let afterPrefix = text.index(text.startIndex, offsetBy: prefix.count)
            searchFrom = text[afterPrefix...].firstIndex(of: ":") ?? text.endIndex
        }
        guard let split = text.range(of: ":/", range: searchFrom..<text.endIndex) else {
            throw UsageError("--copy-from \(text): expected IMAGE:/SRC[:/DEST] (absolute paths)")
        }
        let image = try ImageLocation(parsing: String(text[..<split.lowerBound]))
        let paths = String(text[text.index(after: split.lowerBound)...])
        if let second = paths.range(of: ":/") {
            return ImagePlan.ImageCopy(image, String(paths[..<second.lowerBound]), to: String(paths[paths.index(after: second.lowerBound)...]))
        }
        return ImagePlan.ImageCopy(image, paths)
    }

    /// `/PATH:MODE` → (path, mode) when the part after the last `:` is octal, else (text, nil).
    static func pathAndMode(_ text: String, option: String, text whole: String) throws -> (String, UInt32?) {
        guard let colon = text.lastIndex(of: ":") else { return (text, nil) }
        let digits = text[text.index(after: colon)...]
        guard (1...4).contains(digits.count), let value = UInt32(digits, radix: 8) else {
            throw UsageError("\(option) \(whole): mode \"\(digits)\" is not octal (e.g. 0755)")
        }
        return (String(text[..<colon]), value)
    }

    static func pair(_ text: String, option: String) throws -> (key: String, value: String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw UsageError("\(option) \(text): expected KEY=VALUE")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// A JSON array of strings is the exec form; anything else the shell form, as in a
    /// Dockerfile: `echo hi` → `["/bin/sh", "-c", "echo hi"]`.
    static func argumentList(_ text: String, option: String) throws -> [String] {
        guard text.hasPrefix("[") else { return ["/bin/sh", "-c", text] }
        guard let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw UsageError("\(option) \(text): not a JSON array of strings")
        }
        return list
    }

    /// `os/arch[/variant]`, a comma-separated list of them, or `all`.
    static func platforms(_ text: String?) throws -> PlatformChoice {
        guard let text else { return .one(.linuxAMD64) }
        if text == "all" { return .all }
        let parts = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let parsed = try parts.map { try platformOption($0) }
        return parsed.count == 1 ? .one(parsed[0]) : .some(parsed)
    }
}

/// `--platform os/arch[/variant]`: a malformed one names the option.
func platformOption(_ text: String) throws -> Platform {
    do { return try Platform(parsing: text) } catch { throw UsageError("--platform: \(error.description)") }
}
