import Assembly
import Foundation
import OCI
import SAM
import Streams

/// Several images in one process: every entry at once, all through the run's one bounded
/// transfer pool (`--jobs`), each new layer written once and uploaded once (mounted or skipped
/// for the rest); one failing entry does not stop the others.
struct BuildRun {
    let build: SAMBuild
    let progress: TransferProgress
    let concurrency: Int

    /// The outcomes in request order; each request is one publication to its own target.
    func run(_ requests: [(SAMBuildRequest, ImageTarget)], now: Int64) async throws -> [Result<SAMBuildResult, Error>] {
        var outcomes = [Result<SAMBuildResult, Error>?](repeating: nil, count: requests.count)
        await withTaskGroup(of: (Int, Result<SAMBuildResult, Error>).self) { group in
            var running = 0
            for (index, (request, target)) in requests.enumerated() {
                if running >= max(1, concurrency), let (done, outcome) = await group.next() {
                    outcomes[done] = outcome
                    running -= 1
                }
                group.addTask { (index, await one(request, to: target, now: now)) }
                running += 1
            }
            for await (done, outcome) in group { outcomes[done] = outcome }
        }
        // A signal ends every entry: it is the command's outcome, not N failures.
        try Interruption.check()
        return outcomes.map { $0 ?? .failure(CancellationError()) }
    }

    private func one(_ request: SAMBuildRequest, to target: ImageTarget, now: Int64) async -> Result<SAMBuildResult, Error> {
        if request.goTemplate == nil { progress.note("go-template: skipped") }
        if request.dockerCLI == nil { progress.note("docker CLI: skipped") }
        do {
            let result = try await build.run(request, to: target, now: now)
            progress.noteFlavour(target, result.publication)
            progress.summary(result.publication.content)
            return .success(result)
        } catch {
            return .failure(error)
        }
    }

    /// `#  TAG  DIGEST or error`, for every entry, once all have finished (stderr).
    static func summaryTable(_ requests: [SAMBuildRequest], _ outcomes: [Result<SAMBuildResult, Error>]) -> [String] {
        let tags = requests.map { "\($0.target.text):\($0.primaryTag)" }
        let width = min(tags.map(\.count).max() ?? 0, 100)
        var lines = ["entry  " + "image".padding(toLength: width, withPad: " ", startingAt: 0) + "  result"]
        for (index, (tag, outcome)) in zip(tags, outcomes).enumerated() {
            let result: String
            switch outcome {
            case .success(let built): result = built.digest.description
            case .failure(let error): result = "failed: " + oneLine(error)
            }
            lines.append(String(index).padding(toLength: 5, withPad: " ", startingAt: 0) + "  "
                         + tag.padding(toLength: max(width, tag.count), withPad: " ", startingAt: 0) + "  " + result)
        }
        return lines
    }

    /// `--json` for several entries: each entry's report, or `{entry, samBaseImage, error}`.
    enum Item: Encodable {
        case built(SAMBuildResult.Report)
        case failed(entry: Int, samBaseImage: String, error: String)

        func encode(to encoder: Encoder) throws {
            switch self {
            case .built(let report): try report.encode(to: encoder)
            case .failed(let entry, let base, let error):
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(entry, forKey: .entry)
                try container.encode(base, forKey: .samBaseImage)
                try container.encode(error, forKey: .error)
            }
        }
        enum Keys: String, CodingKey { case entry, samBaseImage, error }
    }

    static func jsonArray(_ requests: [SAMBuildRequest], _ outcomes: [Result<SAMBuildResult, Error>]) -> [Item] {
        zip(requests, outcomes).enumerated().map { index, pair in
            switch pair.1 {
            case .success(let result): return .built(result.report)
            case .failure(let error): return .failed(entry: index, samBaseImage: pair.0.base.location.description, error: oneLine(error))
            }
        }
    }

    /// The command's own failure when some entries failed (exit 1), after the table.
    struct Failed: KindedError {
        let failed: Int
        let total: Int
        var kind: ErrorKind { .failed }
        var description: String {
            if failed == total { return "all \(total) images failed (see the table above); none was written" }
            let written = total - failed
            return "\(failed) of \(total) images failed (see the table above); the other \(written == 1 ? "one was" : "\(written) were") written"
        }
    }
}
