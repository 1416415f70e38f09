import Foundation
import PicolayerKit
import Testing

@Suite("picolayer publish, the command")
struct PublishCommandTests {
    /// A clean environment: PATH only, HOME in an empty temporary folder (no ~/.aws of the machine's).
    func environment(home: String, _ extra: [String: String]) -> [String: String] {
        ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home].merging(extra) { $1 }
    }

    @Test("a wrong secret fails with a clear message and exit status 1; the right one publishes, --json")
    func wrongThenRightSecret() async throws {
        let binary = try picolayerExecutable()
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withLayerFile(size: 5000) { zip in
                let home = (zip as NSString).deletingLastPathComponent
                let arguments = [
                    binary, "publish", zip, "--layer-name", "cli-layer", "--region", "us-east-1", "--arch", "x86_64",
                    "--endpoint-url", moto.endpoint,
                ]
                let wrongSecret = moto.credentials.secretAccessKey + "x"
                let denied = try await MotoServer.runCapturingFiles(
                    arguments,
                    environment: environment(
                        home: home,
                        ["AWS_ACCESS_KEY_ID": moto.credentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": wrongSecret]))
                #expect(denied.status == 1)
                #expect(denied.stdout.contains("SignatureDoesNotMatch (HTTP 403)"), "\(denied.stdout)\(denied.stderr)")
                #expect(denied.stdout.contains("Check the secret access key"))
                #expect(!(denied.stdout + denied.stderr).contains(wrongSecret))

                let published = try await MotoServer.runCapturingFiles(
                    arguments + ["--json"],
                    environment: environment(
                        home: home,
                        [
                            "AWS_ACCESS_KEY_ID": moto.credentials.accessKeyId,
                            "AWS_SECRET_ACCESS_KEY": moto.credentials.secretAccessKey,
                        ]))
                #expect(published.status == 0, "\(published.stdout)\(published.stderr)")
                let json = try #require(
                    try JSONSerialization.jsonObject(with: Data(published.stdout.utf8)) as? [String: Any])
                let region = (json["regions"] as? [String: Any])?["us-east-1"] as? [String: Any]
                #expect(region?["status"] as? String == "published")
                #expect(region?["version"] as? Int == 1)
                #expect((region?["layerVersionArn"] as? String)?.hasSuffix(":layer:cli-layer:1") == true)
                #expect(try moto.state(region: "us-east-1", layer: "cli-layer").versions.count == 1)
            }
        }
    }

    @Test("--dry-run prints the signed request with signature and session token redacted, and sends nothing")
    func dryRun() async throws {
        let binary = try picolayerExecutable()
        try await withLayerFile(size: 3000) { zip in
            let home = (zip as NSString).deletingLastPathComponent
            let run = try await MotoServer.runCapturingFiles(
                [
                    binary, "publish", zip, "--layer-name", "dry", "--regions", "eu-west-1,us-east-2", "--arch",
                    "arm64", "--public", "--function", "app", "--dry-run",
                ],
                environment: environment(
                    home: home,
                    [
                        "AWS_ACCESS_KEY_ID": "AKIADRYRUN", "AWS_SECRET_ACCESS_KEY": "dry-secret-value",
                        "AWS_SESSION_TOKEN": "dry-token-value",
                    ]))
            #expect(run.status == 0, "\(run.stderr)")
            let all = run.stdout + run.stderr
            #expect(all.contains("POST https://lambda.eu-west-1.amazonaws.com/2018-10-31/layers/dry/versions"))
            #expect(all.contains("POST https://lambda.us-east-2.amazonaws.com/2018-10-31/layers/dry/versions"))
            #expect(all.contains("Credential=AKIADRYRUN/"))
            #expect(all.contains("Signature=<redacted>"))
            #expect(all.contains("X-Amz-Security-Token: <redacted>"))
            #expect(all.contains("AddLayerVersionPermission"))
            #expect(!all.contains("dry-secret-value"))
            #expect(!all.contains("dry-token-value"))
            #expect(run.stdout.contains("planned"))
        }
    }

    @Test("no credentials: the error lists what was searched, exit status non-zero")
    func noCredentials() async throws {
        let binary = try picolayerExecutable()
        try await withLayerFile(size: 100) { zip in
            let home = (zip as NSString).deletingLastPathComponent
            let run = try await MotoServer.runCapturingFiles(
                [binary, "publish", zip, "--layer-name", "x", "--region", "us-east-1", "--arch", "x86_64"],
                environment: environment(home: home, [:]))
            #expect(run.status != 0)
            #expect(run.stderr.contains("no AWS credentials found"))
            #expect(run.stderr.contains("\(home)/.aws/credentials does not exist"))
            #expect(run.stderr.contains("\(home)/.aws/config does not exist"))
        }
    }

    @Test("an invalid layer name is refused before anything else")
    func invalidLayerName() async throws {
        let run = try await MotoServer.runCapturingFiles(
            [try picolayerExecutable(), "publish", "--layer-name", "bad name!", "--region", "us-east-1"],
            environment: environment(home: "/nonexistent", [:]))
        #expect(run.status != 0)
        #expect(run.stderr.contains("layer name 'bad name!' is invalid"))
    }
}
