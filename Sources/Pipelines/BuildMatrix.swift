import Foundation

/// The images one release builds: a list of SAM base images, each optionally with its own
/// version, target repository or plugin image (overriding the command line's for that entry).
///
/// File form (YAML, or JSON, which is read as YAML):
///
///     images:
///       - public.ecr.aws/sam/build-nodejs18.x:1.143.0-20250502200316-x86_64
///       - sam-base-image: public.ecr.aws/sam/build-python3.12:1.143.0-20250822194415-x86_64
///         version: 1.1.3
///
/// A bare list (without `images:`) is accepted too. Entries are numbered from 0, in file order,
/// as `--matrix-index` and Kubernetes' JOB_COMPLETION_INDEX count them.
public struct BuildMatrix: Sendable, Equatable {
    public struct Entry: Sendable, Hashable {
        public var samBaseImage: String
        public var version: String?
        public var targetRepo: String?
        public var pluginImage: String?

        public init(samBaseImage: String, version: String? = nil, targetRepo: String? = nil, pluginImage: String? = nil) {
            self.samBaseImage = samBaseImage
            self.version = version
            self.targetRepo = targetRepo
            self.pluginImage = pluginImage
        }

        /// What the entry changes besides its base (equal for entries that share a build setup).
        public var overrides: Overrides { Overrides(version: version, targetRepo: targetRepo, pluginImage: pluginImage) }
    }

    public struct Overrides: Sendable, Hashable {
        public var version: String?
        public var targetRepo: String?
        public var pluginImage: String?
        public var isEmpty: Bool { version == nil && targetRepo == nil && pluginImage == nil }
    }

    /// Never empty.
    public let entries: [Entry]
    /// Each entry's line in its file; empty when the entries came from flags.
    public let lines: [Int]

    /// The keys an entry mapping may have, in the order samforge writes them.
    public static let entryKeys = ["sam-base-image", "version", "target-repo", "plugin-image"]
    /// Files larger than this are refused unread: 1,000 entries take about 150 KB.
    public static let maximumFileSize = 1 << 20
    /// The environment variable an Indexed Job sets in each pod.
    public static let jobIndexVariable = "JOB_COMPLETION_INDEX"

    /// `entries` must not be empty and must not repeat an entry. `lines`: where each entry
    /// stands in its file, for error messages (empty for flags).
    public init(entries: [Entry], lines: [Int] = []) throws(BuildMatrixError) {
        guard !entries.isEmpty else { throw BuildMatrixError("the matrix has no entries") }
        self.entries = entries
        self.lines = lines.count == entries.count ? lines : []
        var seen: [Entry: Int] = [:]
        for (index, entry) in entries.enumerated() {
            for (key, value) in entry.fields {
                if let problem = Self.problem(with: value) { throw BuildMatrixError("\(label(index)): \(key) \(problem)") }
            }
            if let earlier = seen[entry] { throw BuildMatrixError("\(label(index)) repeats \(label(earlier))") }
            seen[entry] = index
        }
    }

    /// `entry N`, with its line when it came from a file: `entry 2 (line 7)`.
    public func label(_ index: Int) -> String {
        index < lines.count ? "entry \(index) (line \(lines[index]))" : "entry \(index)"
    }

    /// Two matrices are equal when their entries are, wherever they were written.
    public static func == (left: BuildMatrix, right: BuildMatrix) -> Bool { left.entries == right.entries }

    /// Bases only (as repeated `--sam-base-image` gives them).
    public init(bases: [String]) throws(BuildMatrixError) {
        try self.init(entries: bases.map { Entry(samBaseImage: $0) })
    }

    /// Reads a matrix file: `source` names it in error messages.
    public static func load(path: String) throws(BuildMatrixError) -> BuildMatrix {
        let text = try readText(path: path)
        return try parse(text, source: path)
    }

    /// The entry `--matrix-index` or JOB_COMPLETION_INDEX selects.
    public func entry(at index: Int) throws(BuildMatrixError) -> Entry {
        guard entries.indices.contains(index) else {
            let valid = entries.count == 1 ? "1 entry (index 0)" : "\(entries.count) entries (0-\(entries.count - 1))"
            throw BuildMatrixError("out of range: the matrix has \(valid)")
        }
        return entries[index]
    }

    /// The index to build: `explicit` (`--matrix-index`) when given, else JOB_COMPLETION_INDEX
    /// when set, else nil (every entry). A malformed JOB_COMPLETION_INDEX is an error.
    public static func selectedIndex(explicit: Int?, environment: [String: String]) throws(BuildMatrixError) -> Int? {
        if let explicit { return explicit }
        guard let text = environment[jobIndexVariable] else { return nil }
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }), let index = Int(text) else {
            throw BuildMatrixError("\(jobIndexVariable) \"\(text.prefix(40))\" is not an entry number (0, 1, 2, ...)")
        }
        return index
    }

    /// The entries `index` selects: one, or all when `index` is nil.
    public func selection(_ index: Int?) throws(BuildMatrixError) -> [Entry] {
        guard let index else { return entries }
        return [try entry(at: index)]
    }

    /// Why a value cannot be a reference, tag or repository (nil when it can).
    static func problem(with value: String) -> String? {
        if value.isEmpty { return "is empty" }
        if value.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            return "\"\(value.prefix(80).debugDescription.dropFirst().dropLast())\" contains whitespace or control characters"
        }
        return nil
    }

    static func readText(path: String) throws(BuildMatrixError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BuildMatrixError("\(path): no such readable file")
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: maximumFileSize + 1) ?? Data() } catch {
            // The OS's words (Foundation's own sentence has curly quotes and no cause).
            let code = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code ?? Int(EIO)
            throw BuildMatrixError("\(path): cannot be read (\(String(cString: strerror(Int32(code))).lowercased()))")
        }
        guard data.count <= maximumFileSize else {
            throw BuildMatrixError("\(path): larger than \(maximumFileSize / 1024) KiB; a matrix file lists image references")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw BuildMatrixError("\(path): not UTF-8 text") }
        return text
    }
}

extension BuildMatrix.Entry {
    /// Set fields as (file key, value), in `BuildMatrix.entryKeys` order.
    public var fields: [(key: String, value: String)] {
        var fields: [(key: String, value: String)] = [("sam-base-image", samBaseImage)]
        if let version { fields.append(("version", version)) }
        if let targetRepo { fields.append(("target-repo", targetRepo)) }
        if let pluginImage { fields.append(("plugin-image", pluginImage)) }
        return fields
    }
}

/// A matrix file or index the user must fix (exit 2): one line naming the file, entry and key.
public struct BuildMatrixError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension BuildMatrix {
    /// The matrix as a file samforge reads back to an equal matrix: entries without overrides
    /// as plain references, the others as mappings.
    public var yamlValue: YAMLValue {
        .map([("images", .list(entries.map { entry in
            entry.overrides.isEmpty ? .string(entry.samBaseImage) : .map(entry.fields.map { ($0.key, .string($0.value)) })
        }))])
    }

    public var yaml: String { YAMLWriter.body(yamlValue) }
}
