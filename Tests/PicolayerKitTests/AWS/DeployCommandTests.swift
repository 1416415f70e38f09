import Foundation
import PicolayerKit
import Testing

@Suite("picolayer deploy, the command")
struct DeployCommandTests {
    /// PATH, HOME in an empty folder (no ~/.aws of the machine's), no instance metadata, plus `extra`.
    func environment(home: String, _ extra: [String: String]) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home,
            "AWS_EC2_METADATA_DISABLED": "true",
        ].merging(extra) { $1 }
    }

    func keys(_ moto: MotoServer) -> [String: String] {
        [
            "AWS_ACCESS_KEY_ID": moto.credentials.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": moto.credentials.secretAccessKey,
        ]
    }

    @Test("--create from a folder, then the same again: created, then unchanged; --json; a missing function fails")
    func createThenUnchanged() async throws {
        let binary = try picolayerExecutable()
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withFunctionFolder { folder in
                let home = (folder as NSString).deletingLastPathComponent
                let layer = try DeployFixture.publishLayer(moto, "picolisp")
                let arguments = [
                    binary, "deploy", "--function", "cli-fn", "--code", folder, "--region", "us-east-1",
                    "--endpoint-url", moto.endpoint, "--layer", layer, "--memory", "256", "--env", "STAGE=dev",
                    "--env", "URL=https://example.com/?a=b", "--json",
                ]
                let missing = try await MotoServer.runCapturingFiles(
                    arguments, environment: environment(home: home, keys(moto)))
                #expect(missing.status != 0)
                #expect(missing.stderr.contains("function cli-fn does not exist in us-east-1"), "\(missing.stderr)")
                #expect(missing.stderr.contains("--create --role"))

                let created = try await MotoServer.runCapturingFiles(
                    arguments + ["--create", "--role", MotoServer.functionRoleArn, "--publish-version"],
                    environment: environment(home: home, keys(moto)))
                #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
                let json = try #require(
                    try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
                #expect(json["code"] as? String == "created")
                #expect(json["runtime"] as? String == "provided.al2023")
                #expect(json["handler"] as? String == "main.handler")
                #expect(json["layers"] as? [String] == [layer])
                #expect(json["publishedVersion"] as? String == "1")
                let state = try DeployFixture.function(moto, "cli-fn")
                #expect(state.environment == ["STAGE": "dev", "URL": "https://example.com/?a=b"])
                #expect(state.memorySize == 256)
                #expect(state.codeSha256 == json["codeSha256"] as? String)

                let again = try await MotoServer.runCapturingFiles(
                    Array(arguments.dropLast()), environment: environment(home: home, keys(moto)))
                #expect(again.status == 0, "\(again.stderr)")
                #expect(again.stdout.contains("code          unchanged"), "\(again.stdout)")
                #expect(again.stdout.contains("configuration unchanged"))
                #expect(again.stderr.contains("not uploading it again"))
            }
        }
    }

    @Test("--dry-run lists exactly the entries that would ship, on stderr and in --json's files; none of the secrets")
    func dryRunFiles() async throws {
        let binary = try picolayerExecutable()
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withFunctionFolder { folder in
                let home = (folder as NSString).deletingLastPathComponent
                try Data("TOKEN=secret\n".utf8).write(to: URL(fileURLWithPath: folder + "/.env"))
                try FileManager.default.createDirectory(atPath: folder + "/.git", withIntermediateDirectories: true)
                try Data("[core]\n".utf8).write(to: URL(fileURLWithPath: folder + "/.git/config"))
                try Data("old\n".utf8).write(to: URL(fileURLWithPath: folder + "/main.l.bak"))
                let run = try await MotoServer.runCapturingFiles(
                    [
                        binary, "deploy", "--function", "dry-fn", "--code", folder, "--region", "us-east-1",
                        "--endpoint-url", moto.endpoint, "--create", "--role", MotoServer.functionRoleArn,
                        "--exclude", "bin/", "--dry-run", "--json",
                    ],
                    environment: environment(home: home, keys(moto)))
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.stderr.contains("would ship 3 entries:\nlib/\nlib/util.l\nmain.l\n"), "\(run.stderr)")
                let json = try #require(
                    try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
                #expect(json["files"] as? [String] == ["lib/", "lib/util.l", "main.l"])
                #expect(json["dryRun"] as? Bool == true)
            }
        }
    }

    @Test("through a role profile (AssumeRole on moto), region from the profile, endpoints from AWS_ENDPOINT_URL")
    func roleProfile() async throws {
        let binary = try picolayerExecutable()
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            let files = roleProfiles(moto)
            try await withAWSHome(credentials: files.credentials, config: files.config) { home in
                try await withFunctionFolder { folder in
                    let run = try await MotoServer.runCapturingFiles(
                        [
                            binary, "deploy", "--function", "role-fn", "--code", folder, "--create", "--role",
                            MotoServer.functionRoleArn, "--profile", "deployer", "--verbose",
                        ],
                        environment: environment(home: home, ["AWS_ENDPOINT_URL": moto.endpoint]))
                    #expect(run.status == 0, "\(run.stderr)")
                    #expect(
                        run.stderr.contains("credentials: assume role \(MotoServer.deployerRoleArn)"), "\(run.stderr)")
                    #expect(run.stderr.contains("CreateFunction attempt 1: POST \(moto.endpoint)/2015-03-31/functions"))
                    #expect(!run.stderr.contains(moto.credentials.secretAccessKey))
                    #expect(run.stdout.contains("code          created"), "\(run.stdout)")
                    #expect(try DeployFixture.function(moto, "role-fn").runtime == "provided.al2023")
                }
            }
        }
    }

    @Test("--create without --role and a malformed --env are refused before anything is sent")
    func validation() async throws {
        let binary = try picolayerExecutable()
        let noRole = try await MotoServer.runCapturingFiles(
            [binary, "deploy", "--function", "f", "--code", ".", "--region", "us-east-1", "--create"],
            environment: environment(home: "/nonexistent", [:]))
        #expect(noRole.status != 0)
        #expect(noRole.stderr.contains("--create needs --role"), "\(noRole.stderr)")

        let badEnv = try await MotoServer.runCapturingFiles(
            [binary, "deploy", "--function", "f", "--code", ".", "--region", "us-east-1", "--env", "=x"],
            environment: environment(home: "/nonexistent", [:]))
        #expect(badEnv.status != 0)
        #expect(badEnv.stderr.contains("--env wants NAME=VALUE, not '=x'"), "\(badEnv.stderr)")
    }
}
