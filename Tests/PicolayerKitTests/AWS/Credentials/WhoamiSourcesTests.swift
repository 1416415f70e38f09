import Foundation
import PicolayerKit
import Testing

/// The built `picolayer whoami` through the sources of this folder, against moto with signature checking on.
@Suite("picolayer whoami through web identity and credential_process")
struct WhoamiSourcesTests {
    @Test("a GitHub-Actions-like job (token file + role) and a credential_process profile both reach moto")
    func whoami() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withAWSHome { home in
                let binary = try picolayerExecutable()
                let base = [
                    "HOME": home, "PATH": "/usr/local/bin:/usr/bin:/bin", "AWS_ENDPOINT_URL": moto.endpoint,
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
                ]

                try moto.allowUnsignedRequests(1)
                let token = try writeFile("github.oidc.jwt", named: "oidc-token", in: home)
                let ci = base.merging([
                    "AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": MotoServer.deployerRoleArn,
                    "AWS_ROLE_SESSION_NAME": "gha-run-7",
                ]) { $1 }
                let web = try await MotoServer.runCapturingFiles([binary, "whoami"], environment: ci)
                #expect(web.status == 0, "\(web.stderr)")
                #expect(web.stdout.contains("assumed-role/picolayer-deployer/gha-run-7"))
                #expect(
                    web.stdout.contains("Source:  web identity (\(MotoServer.deployerRoleArn), token file \(token)"))

                let script = try writeFile(
                    """
                    #!/bin/sh
                    printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' "$1" "$2"
                    """, named: "helper.sh", in: home, executable: true)
                try writeFile(
                    """
                    [profile helper]
                    credential_process = \(script) \(moto.credentials.accessKeyId) \(moto.credentials.secretAccessKey)
                    """, named: ".aws/config", in: home)
                let process = try await MotoServer.runCapturingFiles(
                    [binary, "whoami", "--profile", "helper"], environment: base)
                #expect(process.status == 0, "\(process.stderr)")
                #expect(process.stdout.contains("Account: \(MotoServer.account)"))
                #expect(process.stdout.contains("Source:  credential_process of profile helper"))
                #expect(!process.stdout.contains(moto.credentials.secretAccessKey))
            }
        }
    }
}
