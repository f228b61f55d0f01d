import OCI

/// The SBOM of what a build adds, as SPDX 2.3 JSON: the image as a package that CONTAINS one
/// file entry per regular file of the new layers (path, SHA-256 and SHA-1, size), a package per
/// input (the base image as `pkg:oci/…@sha256:…` with its repository, the other images, each
/// file or download with its SHA-256), the image DESCENDANT_OF its base and every other input a
/// BUILD_DEPENDENCY_OF it. No random parts: the namespace comes from the image digest and the
/// time from the image's `created`, so the same inputs give the same document.
public enum SPDXDocument {
    public static let mediaType = "application/spdx+json"

    /// The document's bytes, `CanonicalJSON.encode(document(record))` exactly, written as a
    /// stream: the file entries and their relationships are most of an SBOM (100,000 of each
    /// for a large COPY --from) and are never all in memory as values at once.
    public static func encode(_ record: BuildRecord) throws -> [UInt8] {
        CanonicalJSONWriter.document { write(record, with: &$0) }
    }

    /// The same bytes handed to `emit` in chunks of about 64 KiB: an SBOM of a large copy is
    /// tens of MB, which the caller writes to a file rather than keep.
    public static func write(_ record: BuildRecord, to emit: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        var writer = CanonicalJSONWriter(chunk: 64 << 10, emit: emit)
        write(record, with: &writer)
        _ = writer.finish()
        if let failure = writer.failure { throw failure }
    }

    private static func write(_ record: BuildRecord, with writer: inout CanonicalJSONWriter) {
        let files = sortedFiles(record)
        let head = parts(record, files: files)
        var members: [(key: String, write: (inout CanonicalJSONWriter) -> Void)] = head.fields.map { field in
            (field.key, { writer in writer.write(field.value) })
        }
        members.append(("files", { writer in
            writer.writeArray(files.indices) { writer, index in writer.write(fileEntry(files[index], number: index + 1)) }
        }))
        members.append(("relationships", { writer in
            // The document's own relationships, then each file's CONTAINS, one at a time.
            writer.writeArray(0..<(head.relationships.count + files.count)) { writer, index in
                writer.write(index < head.relationships.count ? head.relationships[index] : containsFile(index - head.relationships.count + 1))
            }
        }))
        writer.writeObject(members)
    }

    /// The record's files in the order the document lists them (no copy when they are).
    static func sortedFiles(_ record: BuildRecord) -> [BuildRecord.File] {
        let precedes = { (a: BuildRecord.File, b: BuildRecord.File) in a.path.utf8.lexicographicallyPrecedes(b.path.utf8) }
        if zip(record.files, record.files.dropFirst()).allSatisfy({ !precedes($1, $0) }) { return record.files }
        return record.files.sorted(by: precedes)
    }

    /// The whole document as one value (what `encode` writes; the tests compare the two).
    static func document(_ record: BuildRecord) -> JSONValue {
        let files = sortedFiles(record)
        var (fields, relationships) = parts(record, files: files)
        fields["files"] = .array(files.enumerated().map { offset, file in fileEntry(file, number: offset + 1) })
        fields["relationships"] = .array(relationships + files.indices.map { containsFile($0 + 1) })
        return .object(fields)
    }

    /// Every field but the file entries, and the relationships but the files' CONTAINS.
    static func parts(_ record: BuildRecord, files: [BuildRecord.File]) -> (fields: [String: JSONValue], relationships: [JSONValue]) {
        let subject = record.subject
        var packages: [JSONValue] = [imagePackage(record, files: files)]
        var relationships: [JSONValue] = [relationship("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image")]
        for (offset, input) in record.inputs.enumerated() {
            let id = "SPDXRef-Input-\(offset + 1)"
            packages.append(inputPackage(input, id: id, platform: record.platform))
            relationships.append(input.kind == .baseImage
                ? relationship("SPDXRef-Image", "DESCENDANT_OF", id)
                : relationship(id, "BUILD_DEPENDENCY_OF", "SPDXRef-Image"))
        }
        let fields: [String: JSONValue] = [
            "spdxVersion": .string("SPDX-2.3"),
            "dataLicense": .string("CC0-1.0"),
            "SPDXID": .string("SPDXRef-DOCUMENT"),
            "name": .string(subject.name + (subject.tag.map { ":" + $0 } ?? "")),
            "documentNamespace": .string("https://spdx.samforge.dev/\(PackageURL.encode(subject.name))/\(subject.manifest.digest.algorithmAndHex)"),
            "creationInfo": .object([
                "created": .string(record.created),
                "creators": .array([.string("Tool: samforge-\(Builder.version)")]),
            ]),
            "documentDescribes": .array([.string("SPDXRef-Image")]),
            "packages": .array(packages),
        ]
        return (fields, relationships)
    }

    static func fileEntry(_ file: BuildRecord.File, number: Int) -> JSONValue {
        .object([
            "SPDXID": .string("SPDXRef-File-\(number)"),
            "fileName": .string("." + (file.path.hasPrefix("/") ? file.path : "/" + file.path)),
            "checksums": .array([checksum("SHA1", file.sha1), checksum("SHA256", file.sha256)]),
            "licenseConcluded": .string("NOASSERTION"),
            "copyrightText": .string("NOASSERTION"),
            "comment": .string("\(file.size) bytes"),
        ])
    }

    static func containsFile(_ number: Int) -> JSONValue {
        relationship("SPDXRef-Image", "CONTAINS", "SPDXRef-File-\(number)")
    }

    static func imagePackage(_ record: BuildRecord, files: [BuildRecord.File]) -> JSONValue {
        let subject = record.subject
        // SPDX 2.3 §7.9: SHA-1 of the sorted, concatenated SHA-1s of the package's files.
        // Hex sorts as its bytes do: the SHA-1s are sorted as bytes and hashed one by one, not
        // joined into one string (100,000 files made 20 MB of strings here).
        let code = SHA1Hasher()
        let keys = files.compactMap(\.sha1Key)
        if keys.count == files.count {
            for key in keys.sorted(by: <) { BuildRecord.File.hex(key).withUnsafeBytes { code.update($0) } }
        } else {
            Array(files.map(\.sha1).sorted().joined().utf8).withUnsafeBytes { code.update($0) }
        }
        return .object([
            "SPDXID": .string("SPDXRef-Image"),
            "name": .string(subject.name),
            "versionInfo": .string(subject.tag ?? subject.manifest.digest.description),
            "downloadLocation": .string("NOASSERTION"),
            "filesAnalyzed": .bool(true),
            "packageVerificationCode": .object(["packageVerificationCodeValue": .string(code.finalize())]),
            "checksums": .array([checksum("SHA256", subject.manifest.digest.hex)]),
            "primaryPackagePurpose": .string("CONTAINER"),
            "licenseConcluded": .string("NOASSERTION"),
            "licenseDeclared": .string("NOASSERTION"),
            "copyrightText": .string("NOASSERTION"),
            "externalRefs": .array([purl(PackageURL.image(repository: subject.name, name: subject.name, digest: subject.manifest.digest,
                                                          tag: subject.tag, platform: record.platform))]),
        ])
    }

    static func inputPackage(_ input: BuildRecord.Input, id: String, platform: Platform) -> JSONValue {
        let name = input.location.split(separator: "/").last.map(String.init) ?? input.location
        let isImage = input.kind == .baseImage || input.kind == .image
        let locator = isImage
            ? PackageURL.image(repository: input.repository, name: name, digest: input.digest, tag: input.tag, platform: platform)
            : PackageURL.file(name: name.split(separator: "?").first.map(String.init) ?? name, sha256: input.digest,
                              url: input.kind == .download ? input.location : nil)
        return .object([
            "SPDXID": .string(id),
            "name": .string(name),
            "versionInfo": .string(input.tag ?? input.digest.description),
            "downloadLocation": .string("NOASSERTION"),
            "filesAnalyzed": .bool(false),
            "checksums": .array([checksum("SHA256", input.digest.hex)]),
            "primaryPackagePurpose": .string(isImage ? "CONTAINER" : "FILE"),
            "licenseConcluded": .string("NOASSERTION"),
            "licenseDeclared": .string("NOASSERTION"),
            "copyrightText": .string("NOASSERTION"),
            "comment": .string("\(input.role): \(input.location)"),
            "externalRefs": .array([purl(locator)]),
        ])
    }

    static func checksum(_ algorithm: String, _ value: String) -> JSONValue {
        .object(["algorithm": .string(algorithm), "checksumValue": .string(value)])
    }

    static func purl(_ locator: String) -> JSONValue {
        .object(["referenceCategory": .string("PACKAGE-MANAGER"), "referenceType": .string("purl"), "referenceLocator": .string(locator)])
    }

    static func relationship(_ from: String, _ type: String, _ to: String) -> JSONValue {
        .object(["spdxElementId": .string(from), "relationshipType": .string(type), "relatedSpdxElement": .string(to)])
    }
}

extension Digest {
    /// `sha256-HEX`: a digest as one path or tag component.
    var algorithmAndHex: String { "sha256-" + hex }
}
