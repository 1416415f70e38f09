// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "picolayer",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "picolayer", targets: ["picolayer"]),
        .library(name: "PicolayerKit", targets: ["PicolayerKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "PicolayerKit",
            dependencies: [
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Members of a module are visible only where it is imported: Foundation's extensions (which a
            // dependency imports) cannot slip into the kit, which uses FoundationEssentials alone.
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .executableTarget(
            name: "picolayer",
            dependencies: [
                "PicolayerKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .testTarget(
            name: "PicolayerKitTests",
            // ZIPFoundation is not used as an oracle: its own module is also named CZlib and clashes with ours;
            // unzip, zipinfo, bsdtar, 7z and Python's zipfile are the readers we did not write.
            dependencies: ["PicolayerKit", .product(name: "Logging", package: "swift-log")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
