import Foundation
import NIOConcurrencyHelpers
import PicolayerKit
import Testing

/// A temporary layer zip-like file of `size` pseudo-random bytes (the content is opaque to publishing).
func withLayerFile<T>(size: Int, seed: UInt64 = 1, _ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-publish-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var state = seed
    var bytes = [UInt8](repeating: 0, count: size)
    for index in bytes.indices {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
    }
    let path = directory.appendingPathComponent("picolisp.zip").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return try await body(path)
}

@Suite("publish against moto_server with signature checking")
struct PublishMotoTests {
    func publisher(_ moto: MotoServer, _ configuration: PublishConfiguration, credentials: AWSCredentials? = nil)
        -> Publisher
    {
        var configuration = configuration
        configuration.endpointURL = moto.endpoint
        return Publisher(
            configuration: configuration, credentials: .fixed(credentials ?? moto.credentials), environment: [:],
            timing: FakeTiming(now: Date()).timing)
    }

    @Test("inline publish in several regions, idempotent second run, --public and --function")
    func inlineMultiRegion() async throws {
        let regions = ["us-east-1", "eu-central-1", "ap-southeast-2"]
        try await MotoServer.with(regions: regions, functions: ["app"]) { moto in
            try await withLayerFile(size: 300_000) { zip in
                let config = PublishConfiguration(
                    zipPath: zip, layerName: "picolisp", regions: regions, makePublic: true, functions: ["app"],
                    architecture: "x86_64", maxConcurrency: 2)
                let first = try await publisher(moto, config).run()
                #expect(!first.anyFailed, "\(first.table())")
                #expect(first.results.map(\.region) == regions)
                #expect(first.results.allSatisfy { $0.status == .published && $0.version == 1 })
                #expect(first.results.allSatisfy { $0.codeSha256 == first.codeSha256 })

                let second = try await publisher(moto, config).run()
                #expect(second.results.allSatisfy { $0.status == .unchanged && $0.version == 1 }, "\(second.table())")

                var forced = config
                forced.force = true
                forced.regions = ["eu-central-1"]
                let third = try await publisher(moto, forced).run()
                #expect(third.results.first?.status == .published)
                #expect(third.results.first?.version == 2)

                let us = try moto.state(region: "us-east-1", layer: "picolisp", functions: ["app"])
                #expect(us.versions.map(\.Version) == [1])
                #expect(us.versions.first?.CodeSha256 == first.codeSha256)
                #expect(us.policy?.contains("lambda:GetLayerVersion") == true)
                #expect(us.policy?.contains("picolayer-public") == true)
                let usLayers = try #require(us.functionLayers["app"])
                #expect(usLayers.count == 2)
                #expect(usLayers.first?.contains(":layer:other-layer:1") == true)
                #expect(usLayers.last?.hasSuffix(":layer:picolisp:1") == true)

                let eu = try moto.state(region: "eu-central-1", layer: "picolisp", functions: ["app"])
                #expect(eu.versions.map(\.Version) == [2, 1])
                let euLayers = try #require(eu.functionLayers["app"])
                #expect(euLayers.count == 2, "the earlier version is replaced, the other layer kept: \(euLayers)")
                #expect(euLayers.last?.hasSuffix(":layer:picolisp:2") == true)
                #expect(euLayers.first?.contains("other-layer") == true)
            }
        }
    }

    @Test("through S3: PutObject, and a multipart upload for a large file")
    func throughS3() async throws {
        try await MotoServer.with(regions: ["us-east-1", "eu-west-1"], buckets: ["layers-{region}"]) { moto in
            try await withLayerFile(size: 200_000) { zip in
                let config = PublishConfiguration(
                    zipPath: zip, layerName: "via-s3", regions: ["us-east-1"], s3Bucket: "layers-{region}",
                    architecture: "arm64")
                let report = try await publisher(moto, config).run()
                #expect(!report.anyFailed, "\(report.table())")
                let state = try moto.state(region: "us-east-1", layer: "via-s3", bucket: "layers-us-east-1")
                #expect(state.versions.first?.CodeSha256 == report.codeSha256)
                #expect(state.objects.count == 1)
                #expect(state.objects.first?.hasPrefix("picolayer/via-s3/") == true)
            }
            // 12 MiB with a 5 MiB part size: three parts; and over the (lowered) inline limit, so S3 is forced.
            try await withLayerFile(size: 12 * 1024 * 1024, seed: 2) { zip in
                var config = PublishConfiguration(
                    zipPath: zip, layerName: "big", regions: ["eu-west-1"], s3Bucket: "layers-{region}",
                    architecture: "x86_64", inlineLimit: 1024 * 1024)
                config.endpointURL = moto.endpoint
                let lambda = try EndpointResolver.endpoint(
                    for: .s3, region: "eu-west-1", flag: moto.endpoint, environment: [:])
                let s3 = S3Client(
                    client: AWSClient(
                        service: .s3, region: "eu-west-1", endpoint: lambda, credentials: moto.credentials,
                        transport: .live()),
                    multipartThreshold: 8 * 1024 * 1024, partSize: S3Client.minimumPartSize)
                let layerZip = try UploadZip(path: zip)
                try await s3.upload(path: zip, size: layerZip.size, bucket: "layers-eu-west-1", key: "direct/big.zip")
                let report = try await publisher(moto, config).run()
                #expect(!report.anyFailed, "\(report.table())")
                let state = try moto.state(region: "eu-west-1", layer: "big", bucket: "layers-eu-west-1")
                #expect(state.versions.first?.CodeSha256 == layerZip.sha256Base64)
                #expect(Set(state.objects).contains("direct/big.zip"))
            }
        }
    }

    @Test("a zip over the inline limit without a bucket is refused before any call")
    func tooLargeWithoutBucket() async throws {
        try await withLayerFile(size: 2048) { zip in
            let config = PublishConfiguration(
                zipPath: zip, layerName: "x", regions: ["us-east-1"], architecture: "x86_64", inlineLimit: 1024)
            let calls = NIOLockedValueBox(0)
            let publisher = Publisher(
                configuration: config, credentials: .fixed(testCredentials), environment: [:],
                transport: HTTPTransport { _ in
                    calls.withLockedValue { $0 += 1 }
                    return HTTPResponse(status: 500, headers: [], body: [])
                })
            let error = await #expect(throws: PublishError.self) { try await publisher.run() }
            #expect(error?.localizedDescription.contains("--s3-bucket") == true)
            #expect(calls.withLockedValue { $0 } == 0)
        }
    }

    @Test("a wrong secret fails that region with moto's SignatureDoesNotMatch and a hint")
    func wrongSecret() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withLayerFile(size: 1000) { zip in
                var bad = moto.credentials
                bad.secretAccessKey += "x"
                let config = PublishConfiguration(
                    zipPath: zip, layerName: "denied", regions: ["us-east-1"], architecture: "x86_64", force: true)
                let report = try await publisher(moto, config, credentials: bad).run()
                #expect(report.anyFailed)
                let message = report.results.first?.error ?? ""
                #expect(message.contains("PublishLayerVersion failed: SignatureDoesNotMatch (HTTP 403)"))
                #expect(message.contains("secret access key"))
                #expect(!message.contains(bad.secretAccessKey))
                #expect(try moto.state(region: "us-east-1", layer: "denied").versions.isEmpty)
            }
        }
    }
}
