import Foundation
import PicolayerKit
import Testing

@Suite("picolayer layers, the command, against moto_server with signature checking")
struct LayersCommandTests {
    @Test("two versions in two regions, listed as JSON and as a table; a closed endpoint exits 1 with the error")
    func twoRegions() async throws {
        let binary = try picolayerExecutable()
        let regions = ["us-east-1", "eu-west-1"]
        try await MotoServer.with(regions: regions) { moto in
            var published: [String: String] = [:]
            for seed in [UInt64(1), 2] {
                try await withLayerFile(size: 4000, seed: seed) { zip in
                    let config = PublishConfiguration(
                        zipPath: zip, layerName: "picolisp", regions: regions, architecture: "arm64",
                        endpointURL: moto.endpoint)
                    let report = try await Publisher(
                        configuration: config, credentials: .fixed(moto.credentials), environment: [:]
                    ).run()
                    #expect(!report.anyFailed, "\(report.table())")
                    published[String(seed)] = report.codeSha256
                }
            }
            let home = FileManager.default.temporaryDirectory.path
            let environment = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home,
                "AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": moto.credentials.accessKeyId,
                "AWS_SECRET_ACCESS_KEY": moto.credentials.secretAccessKey, "AWS_EC2_METADATA_DISABLED": "true",
            ]
            let json = try await MotoServer.runCapturingFiles(
                [binary, "layers", "--regions", "us-east-1,eu-west-1", "--json"], environment: environment)
            #expect(json.status == 0, "\(json.stdout)\(json.stderr)")
            #expect(json.stdout.hasSuffix("}\n") && json.stdout.filter { $0 == "\n" }.count == 1)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["layerName"] as? String == DeployConfiguration.defaultLayerName)
            let listed = try #require(object["regions"] as? [String: [[String: Any]]])
            #expect(Set(listed.keys) == Set(regions))
            for region in regions {
                let versions = try #require(listed[region])
                #expect(versions.map { $0["version"] as? Int } == [2, 1])
                #expect(versions.map { $0["codeSha256"] as? String } == [published["2"], published["1"]])
                #expect(
                    versions.first?["layerVersionArn"] as? String
                        == "arn:aws:lambda:\(region):\(MotoServer.account):layer:picolisp:2")
                #expect(versions.first?["architectures"] as? [String] == ["arm64"])
                #expect(versions.first?["runtimes"] as? [String] == ["provided.al2023"])
                #expect((versions.first?["created"] as? String)?.isEmpty == false)
            }

            let table = try await MotoServer.runCapturingFiles(
                [binary, "layers", "--region", "eu-west-1", "--layer-name", "picolisp"], environment: environment)
            #expect(table.status == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n")
            #expect(lines.count == 3, "\(table.stdout)")
            #expect(lines.first?.hasPrefix("REGION     VERSION  CREATED") == true)
            #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("eu-west-1  ") && $0.contains(" arm64 ") })
            #expect(lines.dropFirst().first?.contains(":layer:picolisp:2") == true)

            try await ClosedPort.with { port in
                let failed = try await MotoServer.runCapturingFiles(
                    [
                        binary, "layers", "--region", "us-east-1", "--json", "--endpoint-url",
                        "http://127.0.0.1:\(port)",
                    ],
                    environment: environment)
                #expect(failed.status == 1)
                let object = try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [String: Any]
                let entry = (object?["regions"] as? [String: Any])?["us-east-1"] as? [String: String]
                #expect(
                    entry?["error"]?.contains("ListLayerVersions failed: no answer from") == true, "\(failed.stdout)")
            }
        }
    }
}
