import Foundation
import Testing

@testable import PicolayerKit

@Suite("GitHub Actions OIDC credentials")
struct GitHubActionsTests {
    static let role = "arn:aws:iam::123456789012:role/ci"

    /// A stand-in for GitHub's token endpoint: checks the bearer token, answers `{"value": TOKEN}`.
    static func tokenRoute(_ request: ScriptedServer.Received) -> ScriptedServer.Reply {
        guard request.header("Authorization") == "bearer request-token" else {
            return ScriptedServer.Reply(401, body: #"{"message":"bad credentials"}"#)
        }
        return ScriptedServer.Reply(
            200, headers: [("Content-Type", "application/json")], body: #"{"value":"id.jwt.sig"}"#)
    }

    @Test("asks GitHub for a token for sts.amazonaws.com with the request token, then exchanges it with STS")
    func exchange() async throws {
        try await ScriptedServer.with(route: Self.tokenRoute) { github in
            try await ScriptedServer.with(replies: [WebIdentityTests.stsReply()]) { sts in
                try await withAWSHome { home in
                    let env = [
                        "ACTIONS_ID_TOKEN_REQUEST_URL": github.endpoint + "/token?api-version=2.0",
                        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token", "AWS_ROLE_ARN": Self.role,
                        "AWS_ENDPOINT_URL_STS": sts.endpoint,
                    ]
                    let credentials = try await CredentialResolver().resolve(
                        credentialLookup(home: home, environment: env))
                    #expect(credentials.accessKeyId == "ASIAWEB")
                    #expect(credentials.source == "GitHub Actions OIDC (\(Self.role))")
                    let asked = try #require(github.received.first)
                    #expect(asked.uri == "/token?api-version=2.0&audience=sts.amazonaws.com")
                    let fields = WebIdentityTests.form(try #require(sts.received.first).body)
                    #expect(fields["Action"] == "AssumeRoleWithWebIdentity")
                    #expect(fields["WebIdentityToken"] == "id.jwt.sig")
                    #expect(fields["RoleArn"] == Self.role)
                    #expect(sts.received.first?.header("Authorization") == nil)
                }
            }
        }
    }

    @Test("without a role, or outside GitHub Actions, the provider passes and says why")
    func notConfigured() async throws {
        try await withAWSHome { home in
            let noRole = [
                "ACTIONS_ID_TOKEN_REQUEST_URL": "https://example.invalid/t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x",
            ]
            let (none, note) = try await CredentialProvider.gitHubActions.search(
                credentialLookup(home: home, environment: noRole))
            #expect(none == nil)
            #expect(note.contains("AWS_ROLE_ARN") && note.contains("--role-arn"))
            let (outside, why) = try await CredentialProvider.gitHubActions.search(
                credentialLookup(home: home, environment: ["AWS_ROLE_ARN": Self.role]))
            #expect(outside == nil)
            #expect(why.contains("ACTIONS_ID_TOKEN_REQUEST_URL"))
        }
    }

    @Test("a refused token request names the permission to add; plain http is refused off loopback")
    func failures() async throws {
        try await ScriptedServer.with(route: Self.tokenRoute) { github in
            try await withAWSHome { home in
                let env = [
                    "ACTIONS_ID_TOKEN_REQUEST_URL": github.endpoint + "/token",
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "wrong",
                    "AWS_ROLE_ARN": Self.role,
                ]
                let error = await #expect(throws: AWSError.self) {
                    try await CredentialProvider.gitHubActions.search(credentialLookup(home: home, environment: env))
                }
                #expect(error?.localizedDescription.contains("id-token: write") == true)
                #expect(error?.localizedDescription.contains("401") == true)

                var remote = env
                remote["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://192.0.2.1/token"
                let refused = await #expect(throws: AWSError.self) {
                    try await CredentialProvider.gitHubActions.search(credentialLookup(home: home, environment: remote))
                }
                #expect(refused?.localizedDescription.contains("https") == true)
            }
        }
    }
}
