import Foundation
import Testing

@testable import PicolayerKit

@Suite("IAM Identity Center (SSO) credentials")
struct SSOTests {
    static let config = """
        [default]
        region = us-east-1

        [profile dev]
        sso_session = my-sso
        sso_account_id = 111122223333
        sso_role_name = Deployer
        region = eu-west-1

        [ sso-session   my-sso ]
        sso_start_url = https://d-0000000000.awsapps.com/start
        sso_region = eu-central-1
        sso_registration_scopes = sso:account:access

        [profile legacy]
        sso_start_url = https://d-abc123.awsapps.com/start
        sso_region = us-west-2
        sso_account_id = 444455556666
        sso_role_name = ReadOnly

        [profile no-session]
        sso_session = missing
        sso_account_id = 1
        sso_role_name = R

        [profile conflict]
        sso_session = my-sso
        sso_region = us-east-1
        sso_account_id = 1
        sso_role_name = R

        [profile half]
        sso_start_url = https://d-abc123.awsapps.com/start
        sso_region = us-west-2
        """

    /// Cache file names: SHA-1 of the session name (`printf my-sso | sha1sum`) and of the legacy start URL (the
    /// vector botocore's own tests use).
    static let sessionCacheName = "0ad374308c5a4e22f723adf10145eafad7c4031c.json"
    static let legacyCacheName = "40a89917e3175433e361b710a9d43528d7f1890a.json"

    /// The portal: answers role credentials only to the bearer token `good-token`.
    static func portal(_ request: ScriptedServer.Received) -> ScriptedServer.Reply {
        guard request.method == "GET", request.uri.hasPrefix("/federation/credentials?") else {
            return .init(404, body: "{\"message\":\"no route\"}")
        }
        guard request.header("x-amz-sso_bearer_token") == "good-token" else {
            return .init(401, body: #"{"message":"Session token not found or invalid"}"#)
        }
        let role = request.uri.contains("role_name=Deployer") ? "ASIADEPLOYER" : "ASIAREADONLY"
        return .init(
            200, headers: [("Content-Type", "application/json")],
            body: """
                {"roleCredentials":{"accessKeyId":"\(role)","secretAccessKey":"sso-secret",\
                "sessionToken":"sso-token","expiration":1700003600000}}
                """)
    }

    static func withSSOHome<T>(token: String?, expiresAt: String, cacheName: String, _ body: (String) async throws -> T)
        async throws -> T
    {
        try await withAWSHome(config: config) { home in
            let cache = home + "/.aws/sso/cache"
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            if let token {
                try writeFile(
                    #"{"startUrl": "https://x", "region": "eu-central-1", "accessToken": "\#(token)", "#
                        + #""expiresAt": "\#(expiresAt)"}"#,
                    named: cacheName, in: cache)
            }
            return try await body(home)
        }
    }

    @Test("an sso_session profile: the cached token is exchanged at the portal for role credentials")
    func ssoSession() async throws {
        try await ScriptedServer.with(route: Self.portal) { server in
            try await Self.withSSOHome(
                token: "good-token", expiresAt: "2023-11-15T00:00:00Z", cacheName: Self.sessionCacheName
            ) { home in
                let lookup = credentialLookup(
                    home: home, environment: ["AWS_PROFILE": "dev", "AWS_ENDPOINT_URL_SSO": server.endpoint])
                let credentials = try await CredentialResolver().resolve(lookup)
                #expect(credentials.accessKeyId == "ASIADEPLOYER")
                #expect(credentials.sessionToken == "sso-token")
                #expect(credentials.expiration == Date(timeIntervalSince1970: 1_700_003_600))
                #expect(credentials.accountId == "111122223333")
                #expect(credentials.source == "SSO profile dev (account 111122223333, role Deployer)")
                let request = try #require(server.received.first)
                #expect(request.uri == "/federation/credentials?account_id=111122223333&role_name=Deployer")
                #expect(request.header("Authorization") == nil)
            }
        }
    }

    @Test("a legacy profile: the cache file is named after the start URL")
    func legacyProfile() async throws {
        try await ScriptedServer.with(route: Self.portal) { server in
            try await Self.withSSOHome(
                token: "good-token", expiresAt: "2023-11-15T00:00:00UTC", cacheName: Self.legacyCacheName
            ) { home in
                let lookup = credentialLookup(
                    home: home, environment: ["AWS_ENDPOINT_URL": server.endpoint], profile: "legacy")
                let (credentials, _) = try await CredentialProvider.sso.search(lookup)
                #expect(credentials?.accessKeyId == "ASIAREADONLY")
                #expect(credentials?.accountId == "444455556666")
            }
        }
    }

    @Test("the portal host is portal.sso.<sso_region> without an override")
    func portalHost() throws {
        let endpoint = try EndpointResolver.endpoint(for: .sso, region: "eu-central-1", flag: nil, environment: [:])
        #expect(endpoint.description == "https://portal.sso.eu-central-1.amazonaws.com")
    }

    @Test("an expired token, a missing one and a refused one all say to run aws sso login for the profile")
    func loginNeeded() async throws {
        try await ScriptedServer.with(route: Self.portal) { server in
            let env = ["AWS_ENDPOINT_URL_SSO": server.endpoint]
            // The fixed clock is 2023-11-14T22:13:20Z.
            let expired = try await Self.withSSOHome(
                token: "good-token", expiresAt: "2023-11-14T22:13:19Z", cacheName: Self.sessionCacheName
            ) { home in
                await errorMessage {
                    _ = try await CredentialProvider.sso.search(
                        credentialLookup(home: home, environment: env, profile: "dev"))
                }
            }
            #expect(expired?.contains("expired at 2023-11-14T22:13:19Z") == true)
            #expect(expired?.contains("aws sso login --profile dev") == true)
            #expect(expired?.contains("aws sso login --sso-session my-sso") == true)

            let missing = try await Self.withSSOHome(
                token: nil, expiresAt: "", cacheName: Self.legacyCacheName
            ) { home in
                await errorMessage {
                    _ = try await CredentialProvider.sso.search(
                        credentialLookup(home: home, environment: env, profile: "legacy"))
                }
            }
            #expect(missing?.contains("no cached SSO token at") == true)
            #expect(missing?.contains(Self.legacyCacheName) == true)
            #expect(missing?.contains("aws sso login --profile legacy") == true)

            let refused = try await Self.withSSOHome(
                token: "revoked-token", expiresAt: "2023-11-15T00:00:00Z", cacheName: Self.sessionCacheName
            ) { home in
                await errorMessage {
                    _ = try await CredentialProvider.sso.search(
                        credentialLookup(home: home, environment: env, profile: "dev"))
                }
            }
            #expect(refused?.contains("refused the cached SSO token (HTTP 401)") == true)
            #expect(refused?.contains("aws sso login --profile dev") == true)
            #expect(refused?.contains("revoked-token") == false)
            #expect(server.received.count == 1)
        }
    }

    @Test("configuration mistakes name the missing section or keys")
    func misconfigured() async throws {
        try await Self.withSSOHome(token: nil, expiresAt: "", cacheName: "") { home in
            let noSession = await errorMessage {
                _ = try await CredentialProvider.sso.search(
                    credentialLookup(home: home, environment: [:], profile: "no-session"))
            }
            #expect(noSession?.contains("no [sso-session missing] section") == true)
            let conflict = await errorMessage {
                _ = try await CredentialProvider.sso.search(
                    credentialLookup(home: home, environment: [:], profile: "conflict"))
            }
            #expect(
                conflict?.contains("sets sso_region = us-east-1 but its [sso-session my-sso] says eu-central-1") == true
            )
            let half = await errorMessage {
                _ = try await CredentialProvider.sso.search(
                    credentialLookup(home: home, environment: [:], profile: "half"))
            }
            #expect(half?.contains("lacks sso_account_id, sso_role_name") == true)
            let (credentials, note) = try await CredentialProvider.sso.search(
                credentialLookup(home: home, environment: [:]))
            #expect(credentials == nil)
            #expect(note.contains("profile default in \(home)/.aws/config has no sso_session or sso_start_url"))
        }
    }
}
