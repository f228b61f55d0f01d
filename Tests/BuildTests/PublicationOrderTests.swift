import Foundation
import OCI
import Registry
import Testing
import TestSupport
@testable import Assembly
@testable import Attestations
@testable import Build

/// One publication, whatever the command: content → attachments → names → commit, and on any
/// failure an abort that names nothing and leaves no new layout and no changed index behind.
/// The shapes are the commands': `copy` (a source's referrers and cosign tags carried along),
/// `append` and `build` (a mutation with its SBOM and provenance, one platform or an index),
/// and a matrix (several publications of one run into one layout at once).
@Suite struct PublicationOrderTests {
    static let context = RunContext(client: RegistryClient(), jobs: 4)

    /// Attachments given up front (a test's artifacts).
    struct GivenAttester: Attester {
        let make: @Sendable (WriteReport) throws -> [Assembly.Attachment]
        func attachments(for content: WriteReport, at destination: ImageDestination, earlier: [PublishedAttachment]) async throws -> [Assembly.Attachment] {
            try make(content)
        }
    }

    static func artifact(_ text: String, type: String, subject: Descriptor) throws -> (Assembly.Attachment, Descriptor) {
        let artifact = try ReferrerArtifact(document: Array(text.utf8), mediaType: type, title: "doc", subject: subject, created: "2024-01-01T00:00:00Z")
        let source = MemoryImageSource(manifest: artifact.manifest, blobs: artifact.blobs, description: text)
        return (Assembly.Attachment(artifact: source, link: .referrer(subject: subject), kind: type), artifact.manifest.descriptor())
    }

    /// A layout holding an image tagged `src` with an SBOM-like referrer, a referrer of that
    /// referrer, and a cosign `.sig` tag: what `copy` must carry.
    static func sourceWithReferrers(in directory: String) async throws -> (OCILayoutSource, RawManifest) {
        let image = try MemoryImage.image(architecture: "amd64", in: directory)
        let base = MemoryImageSource(manifest: image.manifest, blobs: image.blobs, description: "memory:amd64")
        let attester = GivenAttester { content in
            let subject = content.root.descriptor()
            let (sbom, sbomDescriptor) = try artifact("sbom", type: "application/spdx+json", subject: subject)
            let (signature, _) = try artifact("signature of the sbom", type: "application/example.sig", subject: sbomDescriptor)
            let (tagged, _) = try artifact("legacy signature", type: "application/vnd.dev.cosign.simplesigning.v1+json", subject: subject)
            let cosign = Assembly.Attachment(artifact: tagged.artifact, link: .tag(ReferrersIndex.tag(for: subject.digest) + ".sig", subject: subject), kind: "cosign .sig")
            return [sbom, signature, cosign]
        }
        let layout = directory + "/source"
        _ = try await Publisher(context: context).publish(Publication(image: base, names: ["src"], attesters: [attester]),
                                                          to: try OCILayoutDestination(directory: layout))
        return (OCILayoutSource(directory: layout, name: "src"), image.manifest)
    }

    func runner(_ directory: String) throws -> PlanRunner {
        PlanRunner(context: Self.context, workspace: try BuildWorkspace(root: directory + "/cache"))
    }

    func plan(_ directory: String) throws -> ImagePlan {
        let file = directory + "/note.txt"
        try "note\n".write(toFile: file, atomically: true, encoding: .utf8)
        let layer = ImagePlan.Layer(operations: [.file(ImagePlan.FileCopy(.local(file), to: "/opt/note.txt", mode: 0o644, role: "--file"))],
                                    history: [.text("ADD note.txt /opt/note.txt")], label: "note")
        return ImagePlan(layers: [layer])
    }

    /// What `append`/`build` publish: a mutation of `platforms` with its SBOM and provenance.
    func mutationPublication(_ directory: String, platforms: PlatformChoice, names: [String] = ["1", "latest"]) async throws -> Publication {
        let mutation = try await runner(directory).mutate(try MemoryImage.index(in: directory), with: try plan(directory), platforms: platforms)
        let attester = BuildAttester(mutation: mutation, request: AttestationRequest(recipe: "append", parameters: [:], tag: "1"),
                                     subjectName: "oci:out")
        return Publication(image: mutation.image, names: names, attesters: [attester])
    }

    enum Shape: String, CaseIterable, Sendable { case copy, append, appendIndex }

    func publication(_ shape: Shape, in directory: String) async throws -> Publication {
        switch shape {
        case .copy:
            let (source, _) = try await Self.sourceWithReferrers(in: directory)
            return Publication(image: source, names: ["copied"], attesters: [CopiedReferrers(source: source)])
        case .append: return try await mutationPublication(directory, platforms: .one(.linuxAMD64))
        case .appendIndex: return try await mutationPublication(directory, platforms: .all)
        }
    }

    @Test(arguments: Shape.allCases)
    func everyVerbComesInItsPhase(_ shape: Shape) async throws {
        let directory = try TemporaryDirectory().path
        let publication = try await publication(shape, in: directory)
        let destination = RecordingDestination(try OCILayoutDestination(directory: directory + "/out"))
        let result = try await Publisher(context: Self.context).publish(publication, to: destination)

        #expect(destination.inPublicationOrder, "\(destination.verbs)")
        #expect(destination.verbs.last == .commit && !destination.verbs.contains(.abort))
        #expect(destination.calls.filter { $0.verb == .name }.map(\.detail) == [publication.names.joined(separator: ",")])
        // The image's root is written before any artifact that names it.
        let manifests = destination.calls.filter { $0.verb == .putManifest }.map(\.detail)
        let rootAt = try #require(manifests.firstIndex(of: result.digest.description))
        for attached in result.attachments {
            if let at = manifests.firstIndex(of: attached.descriptor.digest.description) { #expect(at > rootAt) }
        }
        // One link per subject: a tag-schema index is read and written once, not per artifact.
        let subjects = destination.calls.filter { $0.verb == .attachReferrers }.map(\.detail)
        #expect(subjects.count == Set(subjects).count)

        switch shape {
        case .copy:
            #expect(result.attachments.count == 3)
            #expect(destination.calls.contains { $0.verb == .attachTag && $0.detail == ReferrersIndex.tag(for: result.digest) + ".sig" })
        case .append:
            #expect(result.attachments.map(\.kind) == [BuildAttester.sbomKind, BuildAttester.provenanceKind])
        case .appendIndex:
            #expect(result.attachments.count == 6 && subjects.count == 3)
        }
        // What was published reads back, valid, with its attachments findable.
        for name in publication.names {
            #expect(try ImageValidation.problem("oci:\(directory)/out:\(name)") == nil)
        }
        let readBack = OCILayoutSource(directory: directory + "/out", name: publication.names[0])
        for (_, written) in result.content.manifests where !written.mediaType.contains("index") {
            #expect(try await readBack.referrers(of: written.digest).isEmpty == false)
        }
    }

    static let failures: [RecordingDestination.Verb] = [.putBlob, .putManifest, .attachReferrers, .name, .commit]

    /// A failure at any verb: the error surfaces, abort is the last call, nothing is named or
    /// committed after the failure, a layout the publication created is gone and an existing
    /// one's index.json is byte for byte what it was.
    @Test(arguments: Shape.allCases, failures)
    func aFailureAtAnyVerbLeavesNothingBehind(_ shape: Shape, failing: RecordingDestination.Verb) async throws {
        let directory = try TemporaryDirectory().path
        for existing in [false, true] {
            let layout = directory + "/out-\(existing)"
            if existing {
                let image = try MemoryImage.image(architecture: "s390x", in: directory)
                _ = try await Publisher(context: Self.context).publish(
                    Publication(image: MemoryImageSource(manifest: image.manifest, blobs: image.blobs, description: "old"), names: ["old"]),
                    to: try OCILayoutDestination(directory: layout))
            }
            let before = FileManager.default.contents(atPath: layout + "/index.json")
            let destination = RecordingDestination(try OCILayoutDestination(directory: layout), failing: failing)
            let publication = try await publication(shape, in: directory)
            await #expect {
                _ = try await Publisher(context: Self.context).publish(publication, to: destination)
            } throws: { error in
                String(describing: error).contains("injected failure at \(failing.rawValue)")
            }
            let verbs = destination.verbs
            #expect(verbs.last == .abort, "\(verbs)")
            let failedAt = try #require(verbs.firstIndex(of: failing))
            // Links run at once, so a sibling's may follow the failure; a name or a commit never.
            #expect(!verbs[(failedAt + 1)...].contains { $0 == .name || $0 == .commit })
            if existing {
                #expect(FileManager.default.contents(atPath: layout + "/index.json") == before)
            } else {
                #expect(!FileManager.default.fileExists(atPath: layout))
            }
        }
    }

    /// A matrix: publications of one run into one new layout at once, each with its own
    /// destination. One that fails leaves the others' names; the layout stays because one
    /// committed. When every one fails, the layout the run created is gone.
    @Test func matrixEntriesCommitTheirOwnNamesAndAFailureRemovesNothingOfTheOthers() async throws {
        let directory = try TemporaryDirectory().path
        let layout = directory + "/shared"
        let good = try await mutationPublication(directory, platforms: .one(.linuxAMD64))
        let bad = try await mutationPublication(directory, platforms: .one(try Platform(parsing: "linux/s390x")), names: ["bad"])
        let publisher = Publisher(context: Self.context)
        async let first = publisher.publish(good, to: try OCILayoutDestination(directory: layout))
        async let second = publisher.publish(bad, to: RecordingDestination(try OCILayoutDestination(directory: layout), failing: .name))
        let (kept, lost) = (try? await first, try? await second)
        #expect(kept != nil && lost == nil)
        let names = try OCILayout.readIndex(layout, location: layout).compactMap(OCILayout.refName)
        #expect(Set(names) == ["1", "latest"])

        let other = directory + "/nothing"
        async let third = publisher.publish(good, to: RecordingDestination(try OCILayoutDestination(directory: other), failing: .commit))
        async let fourth = publisher.publish(bad, to: RecordingDestination(try OCILayoutDestination(directory: other), failing: .putBlob))
        _ = (try? await third, try? await fourth)
        #expect(!FileManager.default.fileExists(atPath: other))
    }
}
