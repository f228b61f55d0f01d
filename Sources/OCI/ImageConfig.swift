import Foundation

/// The image configuration blob (`application/vnd.oci.image.config.v1+json` or Docker's).
/// Read-only typed view; edits go through `ConfigEditor` so unknown fields survive.
public struct ImageConfig: Codable, Hashable, Sendable {
    public var architecture: String?
    public var os: String?
    public var variant: String?
    public var created: String?
    public var author: String?
    public var config: ContainerConfig?
    public var rootfs: RootFS?
    public var history: [History]?

    public struct ContainerConfig: Codable, Hashable, Sendable {
        public var User: String?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var WorkingDir: String?
        public var Labels: [String: String]?
        public var ExposedPorts: [String: JSONValue]?
        public var Volumes: [String: JSONValue]?
        public var StopSignal: String?
    }

    public struct RootFS: Codable, Hashable, Sendable {
        public var type: String
        public var diff_ids: [Digest]

        /// Lenient as containerd and containers/image are: `"rootfs": {}` (an image with no
        /// layers, as some tools write it) reads as layers with no diff_ids.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decodeIfPresent(String.self, forKey: .type) ?? "layers"
            diff_ids = try container.decodeIfPresent([Digest].self, forKey: .diff_ids) ?? []
        }

        enum CodingKeys: String, CodingKey { case type, diff_ids }
    }

    public struct History: Codable, Hashable, Sendable {
        public var created: String?
        public var created_by: String?
        public var author: String?
        public var comment: String?
        public var empty_layer: Bool?
        public init(created: String? = nil, created_by: String? = nil, comment: String? = nil, empty_layer: Bool? = nil, author: String? = nil) {
            self.created = created
            self.created_by = created_by
            self.author = author
            self.comment = comment
            self.empty_layer = empty_layer
        }
    }

    public static func decode(_ bytes: [UInt8]) throws -> ImageConfig {
        // The free-form maps are taken from the linear parser's tree: decoded as JSONValue through
        // Decodable, a hostile config nesting deep inside them would take hours.
        var document = try JSONValue(parsing: bytes)
        let container = document["config"]
        document["config"]?["ExposedPorts"] = nil
        document["config"]?["Volumes"] = nil
        var config = try JSONDecoder().decode(ImageConfig.self, from: Data(try CanonicalJSON.encode(document)))
        config.config?.ExposedPorts = try freeFormMap(container?["ExposedPorts"], "ExposedPorts")
        config.config?.Volumes = try freeFormMap(container?["Volumes"], "Volumes")
        return config
    }

    private static func freeFormMap(_ value: JSONValue?, _ key: String) throws -> [String: JSONValue]? {
        switch value {
        case nil, .null?: return nil
        case .object(let object)?: return object
        default:
            throw DecodingError.typeMismatch([String: JSONValue].self, .init(codingPath: [], debugDescription: "config.\(key) is not an object"))
        }
    }

    public var platform: Platform? {
        guard let os, let architecture else { return nil }
        return Platform(os: os, architecture: architecture, variant: variant)
    }
}

/// Edits a config as a JSON tree, keeping every field it does not touch.
public struct ConfigEditor: Sendable {
    public private(set) var document: JSONValue

    public init(bytes: [UInt8]) throws {
        document = try UntrustedJSON.decode(JSONValue.self, from: bytes)
        guard case .object = document else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "image config is not a JSON object")) }
    }

    private var container: [String: JSONValue] {
        get { document["config"]?.objectValue ?? [:] }
        set { document["config"] = .object(newValue) }
    }

    /// Sets `KEY=VALUE`: an existing KEY is replaced in place (Docker's ENV rule), else appended.
    public mutating func setEnv(_ key: String, _ value: String) {
        var env = container["Env"]?.arrayValue ?? []
        let entry = JSONValue.string("\(key)=\(value)")
        if let index = env.firstIndex(where: { $0.stringValue.map { $0 == key || $0.hasPrefix(key + "=") } ?? false }) {
            env[index] = entry
        } else {
            env.append(entry)
        }
        container["Env"] = .array(env)
    }

    /// Sets the entrypoint; like Docker's ENTRYPOINT it clears an inherited Cmd.
    public mutating func setEntrypoint(_ entrypoint: [String]) {
        container["Entrypoint"] = .array(entrypoint.map(JSONValue.string))
        container["Cmd"] = nil
    }

    /// Sets one field of the container config (`Cmd`, `WorkingDir`, `User`, …).
    public mutating func setContainerField(_ name: String, _ value: JSONValue) {
        container[name] = value
    }

    public mutating func setLabel(_ key: String, _ value: String) {
        var labels = container["Labels"]?.objectValue ?? [:]
        labels[key] = .string(value)
        container["Labels"] = .object(labels)
    }

    /// Appends a layer: its diff_id to rootfs and one history entry.
    public mutating func appendLayer(diffID: Digest, history: ImageConfig.History) {
        var rootfs = document["rootfs"]?.objectValue ?? ["type": .string("layers")]
        var ids = rootfs["diff_ids"]?.arrayValue ?? []
        ids.append(.string(diffID.description))
        rootfs["diff_ids"] = .array(ids)
        document["rootfs"] = .object(rootfs)
        appendHistory(history)
    }

    public mutating func appendHistory(_ entry: ImageConfig.History) {
        var history = document["history"]?.arrayValue ?? []
        var object: [String: JSONValue] = [:]
        if let created = entry.created { object["created"] = .string(created) }
        if let createdBy = entry.created_by { object["created_by"] = .string(createdBy) }
        if let author = entry.author { object["author"] = .string(author) }
        if let comment = entry.comment { object["comment"] = .string(comment) }
        if let empty = entry.empty_layer { object["empty_layer"] = .bool(empty) }
        history.append(.object(object))
        document["history"] = .array(history)
    }

    public mutating func setCreated(_ timestamp: String) { document["created"] = .string(timestamp) }

    public func encoded() throws -> [UInt8] { try CanonicalJSON.encode(document) }
}
