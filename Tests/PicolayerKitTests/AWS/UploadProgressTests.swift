import Foundation
import Synchronization
import Testing

@testable import PicolayerKit

/// Upload progress: what a request body reports as it is sent, and the lines publish and deploy print from it.
@Suite("upload progress")
struct UploadProgressTests {
    /// Every `(sent, total)` a body reported, in order.
    final class Reports: Sendable {
        let seen = Mutex<[(sent: Int64, total: Int64)]>([])
        var progress: RequestBody.Progress { { [self] sent, total in seen.withLock { $0.append((sent, total)) } } }
        var all: [(sent: Int64, total: Int64)] { seen.withLock { $0 } }
    }

    @Test("a body reports its bytes as it is sent, up to its length; hashing it reports nothing")
    func bodyReports() async throws {
        try await withLayerFile(size: 10_000) { path in
            let reports = Reports()
            let body = RequestBody(
                parts: [
                    .bytes(Array("{\"ZipFile\":\"".utf8)), .file(path: path, offset: 0, length: 10_000, base64: true),
                ],
                chunkSize: 3 * 1024, progress: reports.progress)
            _ = try await body.sha256Hex()
            for try await _ in body.chunks {}
            #expect(reports.all.isEmpty)
            var sent = 0
            for try await chunk in body.sendingChunks { sent += chunk.readableBytes }
            #expect(Int64(sent) == body.length)
            #expect(reports.all.map(\.sent) == reports.all.map(\.sent).sorted())
            #expect(reports.all.count == 5)
            #expect(reports.all.last.map { $0.sent == body.length && $0.total == body.length } == true)
        }
    }

    @Test("a multipart upload reports the whole file's bytes across its parts")
    func multipart() async throws {
        let part = S3Client.partProgress
        let reports = Reports()
        let second = try #require(part(reports.progress, 5_000, 12_000))
        second(2_000, 5_000)
        #expect(reports.all.map(\.sent) == [7_000])
        #expect(reports.all.map(\.total) == [12_000])
        #expect(part(nil, 0, 1) == nil)

        try await MotoServer.with(regions: ["eu-west-1"], buckets: ["layers-{region}"]) { moto in
            try await withLayerFile(size: 11 * 1024 * 1024, seed: 3) { zip in
                let endpoint = try EndpointResolver.endpoint(
                    for: .s3, region: "eu-west-1", flag: moto.endpoint, environment: [:])
                let s3 = S3Client(
                    client: AWSClient(
                        service: .s3, region: "eu-west-1", endpoint: endpoint, credentials: moto.credentials,
                        transport: .live()),
                    multipartThreshold: 8 * 1024 * 1024, partSize: S3Client.minimumPartSize)
                let file = Reports()
                let size = Int64(11 * 1024 * 1024)
                try await s3.upload(
                    path: zip, size: size, bucket: "layers-eu-west-1", key: "big.zip", progress: file.progress)
                let sent = file.all.map(\.sent)
                #expect(sent == sent.sorted())
                #expect(sent.last == size)
                #expect(Set(file.all.map(\.total)) == [size])
                #expect(sent.contains(S3Client.minimumPartSize))
            }
        }
    }

    @Test("publish through S3 and inline, and deploy's code upload, log progress and a line with bytes and seconds")
    func lines() async throws {
        try await MotoServer.with(regions: ["us-east-1"], buckets: ["layers-{region}"], functions: ["existing-fn"]) {
            moto in
            try await withLayerFile(size: 200_000) { zip in
                let lines = LineCollector()
                let config = PublishConfiguration(
                    zipPath: zip, layerName: "via-s3", regions: ["us-east-1"], s3Bucket: "layers-{region}",
                    architecture: "x86_64", endpointURL: moto.endpoint)
                let report = try await Publisher(
                    configuration: config, credentials: .fixed(moto.credentials), environment: [:],
                    timing: FakeTiming(now: Date()).timing,
                    logger: lines.logger
                ).run()
                #expect(!report.anyFailed)
                let upload = "[us-east-1] uploading \(zip) to s3://layers-us-east-1/"
                #expect(lines.all.contains { $0.hasPrefix(upload) && $0.hasSuffix(": 100% of 200000 bytes") })
                #expect(lines.all.contains { $0.hasPrefix(upload) && $0.contains(": sent 200000 bytes in ") })

            }
            try await withFunctionFolder { folder in
                let deployed = LineCollector()
                _ = try await Deployer(
                    configuration: DeployConfiguration(
                        functionName: "existing-fn", codePath: folder, region: "us-east-1", endpointURL: moto.endpoint),
                    credentials: .fixed(moto.credentials), transport: .live(), timing: FakeTiming().timing,
                    logger: deployed.logger
                ).run()
                let progress = deployed.all.filter { $0.hasPrefix("updating the code of existing-fn (") }
                // The line before, the JSON head, the base64 of the zip (and its tail, in the same 10%), the line after.
                #expect(progress.count == 4, "\(deployed.all)")
                let total = try #require(progress.last?.split(separator: " ").dropLast(4).last)
                #expect(progress.dropFirst().dropLast().allSatisfy { $0.hasSuffix("% of \(total) bytes") })
                #expect(progress.last?.contains(" bytes): sent ") == true)
                #expect(progress.last?.hasSuffix(" s") == true)
            }
        }
    }
}
