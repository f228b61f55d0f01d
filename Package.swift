// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "samforge",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "samforge", targets: ["samforge"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Reads matrix files (YAML, and JSON as YAML); samforge writes its own YAML.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // registries.conf (containers-registries.conf(5)) is TOML.
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
    ],
    targets: [
        // C libraries from Debian (-dev packages installed by scripts/bootstrap).
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // The C library's own: argv without /proc, a file system's type.
        .target(name: "CSystem"),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // zstd layers: libzstd's multithreaded compressor and its decoder.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // nacl secretbox, for cosign's encrypted private keys.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),

        .target(name: "OCI", dependencies: ["CCrypto"]),
        .target(name: "Streams", dependencies: ["OCI", "CSystem"]),
        .target(name: "Registry", dependencies: ["OCI", "Streams", "CCurl", .product(name: "TOMLKit", package: "TOMLKit")]),
        .target(name: "Layers", dependencies: ["OCI", "Streams", "CArchive", "CZlib", "CZstd"]),
        .target(name: "Assembly", dependencies: ["OCI", "Streams", "Registry", "Layers"]),
        .target(name: "Attestations", dependencies: ["OCI"]),
        // cosign-compatible keys, signatures, attestations and their verification.
        .target(name: "Signing", dependencies: ["OCI", "Streams", "Assembly", "CCrypto", "CSodium"]),
        .target(name: "Build", dependencies: ["OCI", "Streams", "Registry", "Layers", "Assembly", "Attestations"]),
        .target(name: "SAM", dependencies: ["OCI", "Registry", "Layers", "Assembly", "Build", "Attestations"]),
        // Pure values: the build matrix file and the pipeline/Job generators.
        .target(name: "Pipelines", dependencies: ["OCI", .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "samforge", dependencies: [
            "OCI", "Streams", "Registry", "Layers", "Assembly", "Build", "Attestations", "SAM", "Pipelines", "Signing", "CSystem",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared by the integration tests: the test world's registries, running commands.
        .target(name: "TestSupport", path: "Tests/TestSupport"),

        .testTarget(name: "OCITests", dependencies: ["TestSupport", "OCI"]),
        .testTarget(name: "StreamsTests", dependencies: ["Streams", "OCI"]),
        .testTarget(name: "RegistryTests", dependencies: ["TestSupport", "Registry", "Streams", "OCI"]),
        .testTarget(name: "LayersTests", dependencies: ["TestSupport", "Layers", "Streams", "OCI"]),
        .testTarget(name: "AssemblyTests", dependencies: ["TestSupport", "Assembly", "Registry", "Layers", "Streams", "OCI"]),
        .testTarget(name: "AttestationsTests", dependencies: ["TestSupport", "Attestations", "OCI"]),
        .testTarget(name: "SigningTests", dependencies: ["TestSupport", "Signing", "Assembly", "OCI"]),
        .testTarget(name: "BuildTests", dependencies: ["TestSupport", "Build", "Assembly", "Layers", "OCI"]),
        .testTarget(name: "SAMTests", dependencies: ["TestSupport", "SAM", "Build", "Assembly", "Registry", "OCI"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "OCI"]),
        .testTarget(name: "PipelinesTests", dependencies: ["TestSupport", "Pipelines", .product(name: "Yams", package: "Yams")],
                    resources: [.copy("Resources")]),
    ],
    swiftLanguageModes: [.v6]
)
