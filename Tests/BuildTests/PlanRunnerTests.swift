import Foundation
import Layers
import OCI
import Registry
import Streams
import Testing
import TestSupport
@testable import Assembly
@testable import Build

/// The plan runner on in-memory images: platforms chosen and dropped, each distinct layer
/// written once, the mutated image readable as a source and writable to any destination.
@Suite struct PlanRunnerTests {
    func runner(_ directory: String) throws -> PlanRunner {
        PlanRunner(context: RunContext(client: RegistryClient(), jobs: 4), workspace: try BuildWorkspace(root: directory + "/cache"))
    }

    func note(_ directory: String) throws -> ImagePlan {
        let file = directory + "/note.txt"
        try "same everywhere\n".write(toFile: file, atomically: true, encoding: .utf8)
        let layer = ImagePlan.Layer(operations: [.file(ImagePlan.FileCopy(.local(file), to: "/opt/note.txt", mode: 0o644, role: "--file"))],
                                    history: [.text("ADD note.txt /opt/note.txt")], label: "note")
        var changes = ConfigChanges()
        changes.env = [("NOTE", "1")]
        return ImagePlan(layers: [layer], changes: changes)
    }

    @Test func chosenPlatformsGetThePlanTheRestAreDropped() async throws {
        let directory = try TemporaryDirectory().path
        let base = try MemoryImage.index(in: directory)
        let mutation = try await runner(directory).mutate(base, with: try note(directory), platforms: .some([.linuxAMD64, try Platform(parsing: "linux/arm64")]))
        #expect(mutation.platforms.compactMap { $0.base.config.platform?.architecture } == ["amd64", "arm64"])
        #expect(mutation.dropped.map(\.description).sorted() == ["linux/s390x", "unknown/unknown"])

        let root = try await mutation.image.rootManifest()
        let index = try root.decodeIndex()
        #expect(index.annotations?["example.test/index"] == "kept")
        #expect(index.manifests.map { $0.annotations?["example.test/arch"] } == ["amd64", "arm64"])
        #expect(index.manifests.map { $0.platform?.description } == ["linux/amd64", "linux/arm64/v8"])
        // One layer for both (its inputs do not depend on the platform), after each base's own.
        let layers = try await index.manifests.asyncMap { try await mutation.image.manifest($0.digest).decodeManifest().layers }
        #expect(layers.map(\.count) == [2, 2])
        #expect(layers[0][1] == layers[1][1] && layers[0][0] != layers[1][0])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/cache/blobs/sha256").count == 1)
    }

    @Test func allLeavesOutAttestationEntries() async throws {
        let directory = try TemporaryDirectory().path
        let mutation = try await runner(directory).mutate(try MemoryImage.index(in: directory), with: try note(directory), platforms: .all)
        #expect(mutation.platforms.count == 3)
        #expect(mutation.dropped.map(\.description) == ["unknown/unknown"])
    }

    @Test func aMissingPlatformNamesWhatTheIndexHas() async throws {
        let directory = try TemporaryDirectory().path
        await #expect {
            _ = try await runner(directory).mutate(try MemoryImage.index(in: directory), with: try note(directory),
                                                   platforms: .some([try Platform(parsing: "linux/riscv64")]))
        } throws: { error in
            String(describing: error).contains("no linux/riscv64 image in the index (available: linux/amd64, linux/arm64/v8, linux/s390x")
        }
    }

    /// The mutated image is a source like any other: written to a layout, read back blob for
    /// blob; its new layer and config come from the cache and memory, the base's from the base.
    @Test func theMutatedImageWritesToALayout() async throws {
        let directory = try TemporaryDirectory().path
        let base = try MemoryImage.index(in: directory)
        let runner = try runner(directory)
        let mutation = try await runner.mutate(base, with: try note(directory), platforms: .one(.linuxAMD64))
        let target = try ImageLocation.ociLayout(directory: directory + "/out", reference: nil).openTarget(client: runner.context.client)
        let report = try await runner.publisher().publish(Publication(image: mutation.image, names: ["1"]), to: target.destination).content
        #expect(try ImageValidation.problem("oci:\(directory)/out:1") == nil)
        let readBack = try await ResolvedImage.resolve(OCILayoutSource(directory: directory + "/out", name: "1"), platform: .linuxAMD64)
        #expect(readBack.manifest.digest == report.digest)
        #expect(readBack.config.config?.Env == ["PATH=/bin", "NOTE=1"])
        // Reproducible by default: `created` is the base's own, not the clock.
        #expect(readBack.config.created == "2024-01-01T00:00:00Z")
        #expect(readBack.config.history?.last?.created == "2024-01-01T00:00:00Z")
        #expect(report.blobsCopied == 3)
    }

    @Test func theSameLayerIsWrittenOncePerRunAndAgainInTheNextRun() async throws {
        let directory = try TemporaryDirectory().path
        let base = try MemoryImage.index(in: directory)
        let runner = try runner(directory)
        let first = try await runner.mutate(base, with: try note(directory), platforms: .one(.linuxAMD64))
        let second = try await runner.mutate(base, with: try note(directory), platforms: .one(try Platform(parsing: "linux/s390x")))
        #expect(first.platforms[0].image.newLayers == second.platforms[0].image.newLayers)
        let again = try await self.runner(directory).mutate(base, with: try note(directory), platforms: .one(.linuxAMD64))
        #expect(again.platforms[0].image.manifest.digest == first.platforms[0].image.manifest.digest)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
