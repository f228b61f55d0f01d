import Assembly
import Foundation
import Pipelines
import SAM

extension BuildCommand {
    /// Every input check, before any network traffic (exit 2 on failure): one request per base
    /// (`--sam-base-image` repeated, or the entries of `--matrix`, whose keys override the
    /// flags for their entry).
    func makeRequests(environment: [String: String], now: Int64) throws -> [SAMBuildRequest] {
        guard let matrix else {
            if matrixIndex != nil { throw UsageError("--matrix-index picks an entry of --matrix FILE; give the file") }
            let bases: [String?] = samBaseImage.isEmpty ? [nil] : samBaseImage
            let requests = try bases.map { try makeRequest(base: $0, environment: environment, now: now) }
            try Self.checkOneImagePerTag(requests) { earlier, later in
                "--sam-base-image \(earlier.base.location) and \(later.base.location) are both \(later.base.runtime): one base per runtime in a run"
            }
            try Self.checkOneImagePerArchive(requests, given: "--sam-base-image")
            return requests
        }
        guard samBaseImage.isEmpty else { throw UsageError("--matrix names the bases: --sam-base-image cannot be used with it") }
        let file: BuildMatrix
        do { file = try BuildMatrix.load(path: matrix) } catch { throw UsageError("--matrix \(error.message)") }
        let index = try BuildMatrix.selectedIndex(explicit: matrixIndex, environment: environment)
        let offset = index ?? 0
        let selected: [BuildMatrix.Entry]
        do { selected = try file.selection(index) } catch {
            // Named as the user gave it: the flag, or the variable an Indexed Job sets.
            let source = matrixIndex != nil ? "--matrix-index" : BuildMatrix.jobIndexVariable
            throw UsageError("\(source) \(offset): \(error.message) (--matrix \(matrix))")
        }
        let requests = try selected.enumerated().map { number, entry in
            do {
                return try makeRequest(base: entry.samBaseImage, environment: environment, now: now,
                                       version: entry.version, targetRepo: entry.targetRepo, pluginImage: entry.pluginImage)
            } catch {
                throw UsageError("--matrix \(matrix): entry \(number + offset): \(oneLine(error))")
            }
        }
        try Self.checkOneImagePerTag(requests) { earlier, later in
            "--matrix \(matrix): \(earlier.base.location) and \(later.base.location) would both write \(later.target.text):\(later.primaryTag)"
        }
        try Self.checkOneImagePerArchive(requests, given: "--matrix \(matrix)")
        return requests
    }

    /// A docker archive holds one image: two requests writing the same file would each replace
    /// the other's (and share its blobs in the run's ledger), so the run is refused up front.
    static func checkOneImagePerArchive(_ requests: [SAMBuildRequest], given: String) throws {
        var seen: [String: SAMBuildRequest] = [:]
        for request in requests {
            guard case .dockerArchive(let file, _) = request.target.location else { continue }
            let key = URL(fileURLWithPath: file).standardizedFileURL.path
            if let earlier = seen[key] {
                throw UsageError("\(given): \(earlier.base.location) and \(request.base.location) would both write docker-archive:\(file), "
                                 + "which holds one image: give each its own archive (a matrix entry's target-repo), or write to a registry or an oci: layout")
            }
            seen[key] = request
        }
    }

    /// Two requests for one tag of one target would overwrite each other.
    static func checkOneImagePerTag(_ requests: [SAMBuildRequest], message: (SAMBuildRequest, SAMBuildRequest) -> String) throws {
        var seen: [String: SAMBuildRequest] = [:]
        for request in requests {
            let key = request.target.text + " " + request.primaryTag
            if let earlier = seen[key] { throw UsageError(message(earlier, request)) }
            seen[key] = request
        }
    }

    func makeRequest(base: String?, environment: [String: String], now: Int64,
                     version: String? = nil, targetRepo: String? = nil, pluginImage: String? = nil) throws -> SAMBuildRequest {
        var options = SAMBuildOptions()
        // A matrix entry's own values are named by its keys (the message says which entry).
        if matrix != nil {
            options.names.samBaseImage = "sam-base-image"
            if version != nil { options.names.version = "version" }
            if targetRepo != nil { options.names.targetRepo = "target-repo" }
            if pluginImage != nil { options.names.pluginImage = "plugin-image" }
        }
        options.samBaseImage = base
        options.pluginImage = pluginImage ?? self.pluginImage
        options.version = version ?? self.version
        options.targetRepo = targetRepo ?? self.targetRepo
        options.goTemplate = goTemplate
        options.noGoTemplate = noGoTemplate
        options.dockerCLIImage = dockerCLIImage
        options.dockerCLIFile = dockerCLIFile
        options.noDockerCLI = noDockerCLI
        options.timestampTag = timestampTag
        options.platform = platform
        options.created = created
        options.now = now
        return try SAMBuildRequest(options: options, environment: environment)
    }
}
