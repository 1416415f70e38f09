import Foundation
import Testing

@testable import PicolayerKit

/// Which source wins when several are configured at once: the AWS CLI v2 order over one server that plays STS,
/// the SSO portal, the container endpoint and IMDSv2 together.
@Suite("Credential chain order")
struct ChainOrderTests {
    /// Each source answers a different access key id, so the winner shows in the credentials.
    static func everything(_ request: ScriptedServer.Received) -> ScriptedServer.Reply {
        let document = { (key: String) in
            #"{"Code":"Success","AccessKeyId":"\#(key)","SecretAccessKey":"s","Token":"t","#
                + #""Expiration":"2023-11-15T00:00:00Z"}"#
        }
        switch (request.method, request.uri) {
        case ("POST", "/"):
            return WebIdentityTests.stsReply(keyId: "ASIAWEBIDENTITY")
        case ("GET", let uri) where uri.hasPrefix("/federation/credentials?"):
            return .init(
                200,
                body: #"{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"s","sessionToken":"t","#
                    + #""expiration":1700003600000}}"#)
        case ("GET", "/container"):
            return .init(200, body: document("ASIACONTAINER"))
        case ("PUT", "/latest/api/token"):
            return .init(200, body: "tok")
        case ("GET", "/latest/meta-data/iam/security-credentials/"):
            return .init(200, body: "role")
        case ("GET", "/latest/meta-data/iam/security-credentials/role"):
            return .init(200, body: document("ASIAIMDS"))
        default:
            return .init(404)
        }
    }

    enum Source: String, CaseIterable, Sendable {
        case webIdentity, sso, credentialsFile, process, configFile, container, imds
    }

    /// The lines each source adds to the config file, the credentials file or the environment.
    static func configure(_ sources: [Source], home: String, server: String) throws -> [String: String] {
        var config = "# made-up config\n[ profile  demo ]\nREGION = eu-west-1\n"
        var credentials = "; made-up credentials\n[demo]\n"
        var env = [
            "AWS_PROFILE": "demo", "AWS_ENDPOINT_URL": server, "AWS_EC2_METADATA_SERVICE_ENDPOINT": server,
            "AWS_EC2_METADATA_DISABLED": sources.contains(.imds) ? "false" : "true",
        ]
        for source in sources {
            switch source {
            case .webIdentity:
                env["AWS_WEB_IDENTITY_TOKEN_FILE"] = try writeFile("jwt", named: "token", in: home)
                env["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/ci"
            case .sso:
                config += "sso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n"
                let cache = home + "/.aws/sso/cache"
                try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
                // SHA-1 of "corp".
                try writeFile(
                    #"{"accessToken":"a","expiresAt":"2023-11-15T00:00:00Z"}"#,
                    named: "ee0bfd2552fbd840c02cc48b6e823320543c450f.json", in: cache)
            case .credentialsFile:
                credentials += "aws_access_key_id = AKIACREDFILE\naws_secret_access_key = s\n"
            case .process:
                let script = try writeFile(
                    "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESS\",\"SecretAccessKey\":\"s\"}'\n",
                    named: "creds.sh", in: home, executable: true)
                config += "credential_process = \(script)\n"
            case .configFile:
                config += "aws_access_key_id = AKIACONFIGFILE\naws_secret_access_key = s\n"
            case .container:
                env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server + "/container"
            case .imds:
                break
            }
        }
        config += "\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
        try writeFile(config, named: ".aws/config", in: home)
        try writeFile(credentials, named: ".aws/credentials", in: home)
        return env
    }

    static let winners: [(Source, String)] = [
        (.webIdentity, "ASIAWEBIDENTITY"), (.sso, "ASIASSO"), (.credentialsFile, "AKIACREDFILE"),
        (.process, "AKIAPROCESS"), (.configFile, "AKIACONFIGFILE"), (.container, "ASIACONTAINER"), (.imds, "ASIAIMDS"),
    ]

    @Test(
        "with this source and every later one configured, this source wins",
        arguments: Array(winners.indices))
    func order(index: Int) async throws {
        let (_, expected) = Self.winners[index]
        let configured = Self.winners[index...].map(\.0)
        try await ScriptedServer.with(route: { Self.everything($0) }) { server in
            try await withAWSHome { home in
                let env = try Self.configure(configured, home: home, server: server.endpoint)
                let credentials = try await CredentialResolver().resolve(credentialLookup(home: home, environment: env))
                #expect(credentials.accessKeyId == expected)
            }
        }
    }
}
