import Foundation
import Layers
import OCI
import Streams

/// What an image's `/etc/os-release` says (os-release(5)), and for Amazon Linux the generation
/// and package manager a SAM build image offers (AL2: yum; AL2023: dnf and microdnf).
public struct OSRelease: Sendable, Hashable {
    public var id: String?
    public var versionID: String?
    public var name: String?
    public var prettyName: String?
    /// Index of the layer the file was read from.
    public var layer: Int

    public init(parsing text: String, layer: Int) {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            var value = String(trimmed[trimmed.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            fields[String(trimmed[..<equals])] = value
        }
        id = fields["ID"]
        versionID = fields["VERSION_ID"]
        name = fields["NAME"]
        prettyName = fields["PRETTY_NAME"]
        self.layer = layer
    }

    /// "2" or "2023" for Amazon Linux, nil otherwise.
    public var amazonLinuxGeneration: String? {
        guard id == "amzn", let versionID else { return nil }
        return versionID.split(separator: ".").first.map(String.init)
    }

    /// The package managers an Amazon Linux generation ships.
    public var packageManagers: [String]? {
        switch amazonLinuxGeneration {
        case "2": return ["yum"]
        case "2023": return ["dnf", "microdnf"]
        default: return nil
        }
    }

    static let paths = ["etc/os-release", "usr/lib/os-release"]

    /// Reads os-release from the lowest layer that has it, stopping inside that layer as soon
    /// as the file is read: an OS base layer lists `etc/` early, so this costs a few MB of a
    /// SAM image's hundreds. (A later layer replacing the file is not looked for.)
    /// `/etc/os-release` may be a symlink to `../usr/lib/os-release` (Amazon Linux 2023).
    /// A layer read to its end (the file was not in it) is verified against its diff_id; the
    /// layer the file is found in is not read on, so that one cannot be.
    public static func detect(layers: [Descriptor], diffIDs: [Digest]? = nil, from source: ImageSource) async throws -> OSRelease? {
        let found = Handoff(value: Finder())
        for (index, layer) in layers.enumerated() {
            let diffID = diffIDs.flatMap { index < $0.count ? $0[index] : nil }
            try await LayerListing.read(layer, index: index, diffID: diffID, from: source) { reader in
                try found.value.scan(reader, layer: index)
            }
            if let result = found.value.result { return result }
        }
        return nil
    }

    /// Keeps the candidates seen so far (contents by path, where /etc/os-release points).
    final class Finder {
        var contents: [String: (text: String, layer: Int)] = [:]
        var wanted = "etc/os-release"
        var result: OSRelease?

        /// A damaged layer is an error for the caller (inspect prints it as a warning).
        func scan(_ reader: LayerReader, layer: Int) throws -> LayerListing.Outcome {
            while let entry = try reader.next() {
                guard OSRelease.paths.contains(entry.path) else { continue }
                switch entry.kind {
                case .file:
                    let sink = CollectingSink(limit: 64 << 10)
                    try reader.readData(into: sink)
                    contents[entry.path] = (String(decoding: sink.bytes, as: UTF8.self), layer)
                case .symlink where entry.path == "etc/os-release":
                    wanted = Self.resolve(entry.linkTarget ?? "", from: "etc")
                case .hardlink where entry.path == "etc/os-release":
                    wanted = entry.linkTarget ?? wanted
                default:
                    continue
                }
                if let hit = contents[wanted] {
                    result = OSRelease(parsing: hit.text, layer: hit.layer)
                    return .stoppedEarly
                }
            }
            return .finished
        }

        /// A symlink target relative to `directory`, as a normalized image path.
        static func resolve(_ target: String, from directory: String) -> String {
            var parts = target.hasPrefix("/") ? [] : directory.split(separator: "/").map(String.init)
            for part in target.split(separator: "/") {
                if part == "." { continue }
                if part == ".." { _ = parts.popLast(); continue }
                parts.append(String(part))
            }
            return parts.joined(separator: "/")
        }
    }
}
