import Foundation
import Testing

@Suite("unknown regions are refused before credentials are looked up, unless allowed")
struct RegionCheckTests {
    static let message =
        "error: unknown region 'eu-wst-1'. Did you mean 'eu-west-1'? (pass --allow-unknown-region for a region newer than this picolayer)\n"

    /// No credentials anywhere (empty HOME, no keys, no instance metadata) and a closed endpoint: a command that
    /// got past the region check fails with "no AWS credentials found" (exit 1) and sends nothing.
    func run(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> ToolRun {
        try await withTemporaryDirectory { home in
            try await ClosedPort.with { port in
                let environment = [
                    "PATH": "/usr/bin:/bin", "HOME": home.path, "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)",
                ].merging(extra) { $1 }
                return try await runTool(
                    [try picolayerExecutable()] + arguments, in: home.path, environment: environment)
            }
        }
    }

    static let commands: [[String]] = [
        ["publish", "--layer-name", "x", "--arch", "x86_64"], ["deploy", "--function", "f", "--code", "fn"],
        ["whoami"], ["layers"],
    ]

    @Test("--region eu-wst-1: exit 64 with the suggestion, before credentials", arguments: commands)
    func flag(command: [String]) async throws {
        let result = try await run(command + ["--region", "eu-wst-1"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr == Self.message)
    }

    @Test("--regions with one unknown region among known ones")
    func regionsList() async throws {
        for command in [["publish", "--layer-name", "x"], ["layers"]] {
            let result = try await run(command + ["--regions", "us-east-1,eu-wst-1"])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr == Self.message)
        }
    }

    @Test("AWS_REGION=eu-wst-1 from the environment is checked the same way", arguments: commands)
    func environment(command: [String]) async throws {
        let result = try await run(command, ["AWS_REGION": "eu-wst-1"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr == Self.message)
    }

    @Test(
        "--allow-unknown-region and PICOLAYER_ALLOW_UNKNOWN_REGION=1 let the region through",
        arguments: [(["--allow-unknown-region"], [:]), ([], ["PICOLAYER_ALLOW_UNKNOWN_REGION": "1"])]
            as [([String], [String: String])])
    func allowed(flags: [String], environment: [String: String]) async throws {
        for command in [["whoami"], ["layers"]] {
            let result = try await run(command + ["--region", "eu-wst-1"] + flags, environment)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("no AWS credentials found"), "\(result.stderr)")
        }
    }

    @Test("a known region passes the check (and then fails on the missing credentials)")
    func known() async throws {
        let result = try await run(["layers", "--region", "ap-southeast-7"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no AWS credentials found"), "\(result.stderr)")
    }
}
