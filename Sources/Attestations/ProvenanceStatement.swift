import OCI

/// An in-toto Statement v1 whose predicate is SLSA Provenance v1: the subject is the image
/// manifest's digest; `buildDefinition` names samforge's build type, the command's inputs
/// (never credentials) and every resolved dependency with its digest; `runDetails` names the
/// builder and its version. Timestamps are the image's `created`, nothing random, so the
/// same inputs give the same statement.
public enum ProvenanceStatement {
    public static let mediaType = "application/vnd.in-toto+json"
    public static let statementType = "https://in-toto.io/Statement/v1"
    public static let predicateType = "https://slsa.dev/provenance/v1"

    public static func encode(_ record: BuildRecord) throws -> [UInt8] {
        try CanonicalJSON.encode(statement(record))
    }

    static func statement(_ record: BuildRecord) -> JSONValue {
        let subject = record.subject
        let dependencies: [JSONValue] = record.inputs.map { input in
            let isImage = input.kind == .baseImage || input.kind == .image
            let name = input.location.split(separator: "/").last.map(String.init) ?? input.location
            let uri = isImage
                ? PackageURL.image(repository: input.repository, name: name, digest: input.digest, tag: input.tag, platform: record.platform)
                : PackageURL.file(name: name.split(separator: "?").first.map(String.init) ?? name, sha256: input.digest,
                                  url: input.kind == .download ? input.location : nil)
            return .object([
                "name": .string(input.role),
                "uri": .string(uri),
                "digest": .object([input.digest.algorithm: .string(input.digest.hex)]),
                "annotations": .object(["location": .string(input.location)]),
            ])
        }
        let parameters = record.parameters.mapValues(JSONValue.string)
        return .object([
            "_type": .string(statementType),
            "subject": .array([.object([
                "name": .string(subject.name),
                "digest": .object([subject.manifest.digest.algorithm: .string(subject.manifest.digest.hex)]),
            ])]),
            "predicateType": .string(predicateType),
            "predicate": .object([
                "buildDefinition": .object([
                    "buildType": .string(Builder.buildType(record.recipe)),
                    "externalParameters": .object(parameters),
                    "internalParameters": .object(["platform": .string(record.platform.description)]),
                    "resolvedDependencies": .array(dependencies),
                ]),
                "runDetails": .object([
                    "builder": .object([
                        "id": .string(Builder.id),
                        "version": .object(["samforge": .string(Builder.version)]),
                    ]),
                    "metadata": .object([
                        "invocationId": .string("\(subject.manifest.digest)"),
                        "startedOn": .string(record.created),
                        "finishedOn": .string(record.created),
                    ]),
                ]),
            ]),
        ])
    }
}
