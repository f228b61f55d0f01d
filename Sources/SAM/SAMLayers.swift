import Foundation
import Layers

/// The new layers, as the Dockerfile's steps would leave them (owner 0:0 throughout):
/// 1. plugin: `mkdir -m 777 -p /opt/harness/{bin,scripts,client-tools}`, the plugin binary and
///    the scripts tree from the plugin image, `chmod +x` on the binary and sam-plugin.sh;
/// 2. client tools: go-template and the docker CLI. They are identical for every plugin
///    version and runtime, so with a fixed SOURCE_DATE_EPOCH this blob is pushed once per
///    registry and skipped (HEAD) by every later build.
enum SAMLayers {
    static func plugin(from filesystem: MergedFilesystem, image: String, mtime: Int64) throws -> LayerWriter {
        let binary = try selected(filesystem, SAMRecipe.pluginBinary, image: image)
        guard binary.count == 1, case .file = binary[0].content else {
            throw SAMBuildError.notARegularFile(source: "plugin image \(image)", path: SAMRecipe.pluginBinary)
        }
        let scripts = try selected(filesystem, SAMRecipe.scriptsDirectory, image: image)
        guard let entry = scripts.first(where: { $0.path == SAMRecipe.entrypointScript }) else {
            throw SAMBuildError.missingFile(source: "plugin image \(image)", path: SAMRecipe.entrypointScript)
        }
        guard case .file = entry.content else {
            throw SAMBuildError.notARegularFile(source: "plugin image \(image)", path: SAMRecipe.entrypointScript)
        }

        var specs = (binary + scripts).map(rootOwned)
        linkSharedContent(&specs)
        // chmod +x acts on the inode: every name of a hard-linked file gets the mode.
        let executables = Set([SAMRecipe.pluginBinary, SAMRecipe.entrypointScript])
        let groups = Dictionary(grouping: specs.indices, by: { contentKey(specs[$0]) })
        for index in specs.indices where executables.contains(specs[index].path) {
            for member in groups[contentKey(specs[index])] ?? [index] { specs[member].mode = 0o755 }
        }

        var writer = LayerWriter(mtime: mtime)
        for directory in ["/opt", "/opt/harness"] { try writer.add(.directory(directory, mode: 0o755)) }
        for spec in specs { try writer.add(spec) }
        // After the copied tree, so the scripts directory's mode from the image does not win.
        for directory in SAMRecipe.openDirectories { try writer.add(.directory(directory, mode: 0o777)) }
        return writer
    }

    /// nil when neither tool is installed.
    static func tools(goTemplate: String?, docker: String?, mtime: Int64) throws -> LayerWriter? {
        guard goTemplate != nil || docker != nil else { return nil }
        var writer = LayerWriter(mtime: mtime)
        if let goTemplate {
            for directory in ["/opt", "/opt/harness"] { try writer.add(.directory(directory, mode: 0o755)) }
            try writer.add(.directory("/opt/harness/client-tools", mode: 0o777))
            try writer.add(.file(SAMRecipe.goTemplatePath, mode: 0o755, from: goTemplate))
        }
        if let docker {
            for directory in ["/usr", "/usr/local", "/usr/local/bin"] { try writer.add(.directory(directory, mode: 0o755)) }
            try writer.add(.file(SAMRecipe.dockerPath, mode: 0o755, from: docker))
        }
        return writer
    }

    /// `COPY --from` of one path; a missing path names the image and the path.
    private static func selected(_ filesystem: MergedFilesystem, _ path: String, image: String) throws -> [LayerEntrySpec] {
        do { return try filesystem.entries(under: path, destination: path) } catch LayerError.missingPath {
            throw SAMBuildError.missingFile(source: "plugin image \(image)", path: path)
        }
    }

    private static func rootOwned(_ spec: LayerEntrySpec) -> LayerEntrySpec {
        var spec = spec
        spec.uid = 0
        spec.gid = 0
        return spec
    }

    /// `entries(under:)` turns hard links into copies of staged content, and staging shares one
    /// inode between the names of a hard-linked file: names with one staged inode become hard
    /// links again (as BuildKit's COPY keeps them) instead of duplicate content.
    private static func linkSharedContent(_ specs: inout [LayerEntrySpec]) {
        var first: [String: String] = [:]  // inode key -> path carrying the content
        for index in specs.indices {
            guard case .file(let staged) = specs[index].content, let key = inodeKey(staged) else { continue }
            if let target = first[key] {
                specs[index].content = .hardlink(target: target)
            } else {
                first[key] = specs[index].path
            }
        }
    }

    /// Specs sharing content: a hard link and its target map to the target's path.
    private static func contentKey(_ spec: LayerEntrySpec) -> String {
        if case .hardlink(let target) = spec.content { return "/" + target.drop { $0 == "/" } }
        return spec.path
    }

    private static func inodeKey(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }
}
